"""``H3RDataPreprocessor`` normalises as H3R's torchvision pipeline does,
``(x / 255 - mean) / std``, bit for bit; MMPose's order,
``(x - 255 mean) / (255 std)``, is the same map but rounds differently in
float32, by the amount the docstring and docs/h3r.md quote."""

import torch
from mmpose.structures import PoseDataSample

from rr_mmpose.h3r.data_preprocessor import IMAGENET_MEAN, IMAGENET_STD, H3RDataPreprocessor


def every_pixel_value() -> torch.Tensor:
    """(1, 3, 16, 16) uint8 RGB: each channel holds all 256 values."""
    return torch.arange(256, dtype=torch.uint8).reshape(1, 1, 16, 16).expand(1, 3, 16, 16)


def test_the_inputs_equal_h3rs_bit_for_bit_and_mmposes_order_differs_by_the_quoted_bound():
    x = every_pixel_value()
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    h3r = (x.float() / 255 - mean) / std  # torchvision's ToTensor, then Normalize
    batch = dict(inputs=[x[0].clone()], data_samples=[PoseDataSample()])
    ours = H3RDataPreprocessor(bgr_to_rgb=False)(batch)['inputs']
    assert torch.equal(ours, h3r)
    mmpose = (x.float() - 255 * mean) / (255 * std)
    gap = (mmpose - h3r).abs().max().item()
    assert 0 < gap <= 2.4e-7  # quoted in the class docstring and docs/h3r.md
