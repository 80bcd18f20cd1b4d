"""``H3RDataPreprocessor`` normalises as H3R's torchvision pipeline does,
``(x / 255 - mean) / std``, bit for bit; MMPose's ``PoseDataPreprocessor``
with a shipped config's mean and std (in 0-255 units) is the same map but
rounds differently in float32, by the amount the docstring and
docs/h3r.md quote."""

import torch
from mmengine.config import Config
from mmpose.models.data_preprocessors import PoseDataPreprocessor
from mmpose.structures import PoseDataSample

from rr_mmpose import config_path
from rr_mmpose.h3r.data_preprocessor import IMAGENET_MEAN, IMAGENET_STD, H3RDataPreprocessor

CONFIG = 'face_2d_keypoint/rr_heatmap/300w/td-hm_mobilenetv2_rr-8xb64-60e_300w-p2-128x128.py'


def normalised(preprocessor, x: torch.Tensor) -> torch.Tensor:
    batch = dict(inputs=[x.clone()], data_samples=[PoseDataSample()])
    return preprocessor(batch)['inputs'][0]


def test_the_inputs_equal_h3rs_bit_for_bit_and_mmposes_differ_by_the_quoted_bound():
    x = torch.arange(256, dtype=torch.uint8).reshape(1, 16, 16).expand(3, 16, 16)  # every value
    mean = torch.tensor(IMAGENET_MEAN).view(3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(3, 1, 1)
    h3r = (x.float() / 255 - mean) / std  # torchvision's ToTensor, then Normalize
    assert torch.equal(normalised(H3RDataPreprocessor(bgr_to_rgb=False), x), h3r)
    shipped = Config.fromfile(config_path(CONFIG)).model.data_preprocessor
    mmpose = PoseDataPreprocessor(mean=shipped.mean, std=shipped.std, bgr_to_rgb=False)
    gap = (normalised(mmpose, x) - h3r).abs().max().item()
    assert 0 < gap <= 4.8e-7  # quoted in H3RDataPreprocessor's docstring and docs/h3r.md
