"""MobileNetV2 cut after its last requested stage (H3R's light backbone)."""

from collections.abc import Sequence
from typing import Any

from mmpose.models.backbones import MobileNetV2
from mmpose.registry import MODELS


@MODELS.register_module()
class TruncatedMobileNetV2(MobileNetV2):
    """MMPose's :class:`MobileNetV2` without the stages after
    ``max(out_indices)``.

    H3R keeps MobileNetV2 only up to the 96-channel stage (index 4) and
    fuses the 1/4, 1/8 and 1/16 features; dropping the unused 160/320/1280
    channel stages keeps the parameter count and checkpoints at what the
    paper reports (0.60M with the head for 98 points).

    Args:
        out_indices (Sequence[int]): Output stages, as in MobileNetV2
            (0..7; index ``i`` is ``layer{i+1}``, 7 is ``conv2``).
            Defaults to ``(1, 2, 4)``: 24, 32 and 96 channels
        **kwargs: Other arguments of :class:`MobileNetV2`
    """

    def __init__(self, out_indices: Sequence[int] = (1, 2, 4), **kwargs: Any) -> None:
        super().__init__(out_indices=out_indices, **kwargs)
        last = max(self.out_indices)
        if self.frozen_stages > last + 1:
            raise ValueError(
                f'frozen_stages={self.frozen_stages} freezes stages that are cut '
                f'(last kept stage index {last})'
            )
        for name in self.layers[last + 1 :]:
            delattr(self, name)
        self.layers = self.layers[: last + 1]
