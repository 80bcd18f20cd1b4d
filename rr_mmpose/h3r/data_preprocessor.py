"""H3R's input normalisation as an MMPose data preprocessor."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from mmengine.utils import is_seq_of
from mmpose.models.data_preprocessors import PoseDataPreprocessor
from mmpose.registry import MODELS

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@MODELS.register_module()
class H3RDataPreprocessor(PoseDataPreprocessor):
    """:class:`PoseDataPreprocessor` that normalises as H3R's torchvision
    pipeline does, ``(x / 255 - mean) / std``, rather than MMPose's
    ``(x - 255 mean) / (255 std)``.

    The two are the same map, but their float32 results differ by up to
    4.8e-7 over the 256 pixel values with the mean and std in 0-255 units
    that MMPose's configs write (a test computes it), which a network
    can carry into its top-k decoding (on random networks, by hundredths of
    a pixel; more where top-k cells nearly tie).
    With this, the inputs equal H3R's bit for bit.

    Args:
        mean (Sequence[float]): Per-channel mean of [0, 1] RGB values.
            Defaults to ImageNet's, as H3R
        std (Sequence[float]): Per-channel standard deviation, likewise
        **kwargs: Other arguments of :class:`PoseDataPreprocessor`
    """

    def __init__(
        self,
        mean: Sequence[float] = IMAGENET_MEAN,
        std: Sequence[float] = IMAGENET_STD,
        bgr_to_rgb: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(mean=mean, std=std, bgr_to_rgb=bgr_to_rgb, **kwargs)

    def forward(self, data: dict, training: bool = False) -> dict:
        inputs = data['inputs']
        if is_seq_of(inputs, torch.Tensor):
            inputs = [x.float() / 255 for x in inputs]
        elif isinstance(inputs, torch.Tensor):
            inputs = inputs.float() / 255
        return super().forward({**data, 'inputs': inputs}, training)
