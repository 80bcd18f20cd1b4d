"""H3R's two-class head trained with a spatial softmax: the paper configs'
default loss."""

import torch.nn.functional as F
from mmpose.registry import MODELS
from torch import Tensor

from .base import TwoClassLoss


@MODELS.register_module()
class TwoClassSpatialSoftmaxCELoss(TwoClassLoss):
    """Spatial softmax cross-entropy over the keypoint-class logits of
    H3R's two-class head, optionally plus its per-pixel two-class loss.

    The head keeps H3R's layout, 2K channels read as ``(N, 2, K, H, W)``
    (background, keypoint; see :class:`TwoClassLoss`), so parameters, FLOPs and converted H3R
    checkpoints are unchanged. The keypoint-class map ``l1`` of each
    keypoint is normalised over its H*W cells, ``p = softmax_hw(l1)``, and
    the loss is ``-sum_hw t * log p`` for the binary target ``t``; with
    ``pixelwise_weight = w > 0``, ``w`` times :class:`PixelwiseTwoClassCELoss`
    is added, which also trains the background logits ``l0``.

    Training on the random draws, its optimum is the expected target, and
    both the default decoder and H3R's raw-logit one decode it exactly;
    the added per-pixel term leaves that optimum where it is. Why:
    ``docs/method.md`` (H3R's two-class head).

    Shapes:
        output (N, 2K, H, W) logits; target (N, K, H, W); weights (N, K).

    Args:
        pixelwise_weight (float): Weight of the added per-pixel two-class
            cross-entropy. Defaults to 0 (spatial softmax only)
        use_target_weight (bool): Weigh keypoints by ``target_weights``.
            Defaults to True
        loss_weight (float): Scale of the loss. Defaults to 1.0
    """

    def __init__(
        self,
        pixelwise_weight: float = 0.0,
        use_target_weight: bool = True,
        loss_weight: float = 1.0,
    ) -> None:
        super().__init__(use_target_weight=use_target_weight, loss_weight=loss_weight)
        if pixelwise_weight < 0:
            raise ValueError(f'pixelwise_weight must be >= 0, got {pixelwise_weight}')
        self.pixelwise_weight = pixelwise_weight

    def log_probs(self, output: Tensor) -> Tensor:
        """Per-cell log-probabilities (N, K, H, W): ``log_softmax_hw(l1)``."""
        keypoint = self.keypoint_logits(output)
        return F.log_softmax(keypoint.flatten(2), dim=-1).view_as(keypoint)

    def per_keypoint_loss(self, output: Tensor, target: Tensor) -> Tensor:
        loss = -(target * self.log_probs(output)).flatten(2).sum(-1)
        if self.pixelwise_weight:
            loss = loss + self.pixelwise_weight * self.per_pixel_mean(output, target)
        return loss
