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

    Why it learns: the per-pixel loss averages over H*W cells of which one
    is positive, so its gradient pushes every map towards "background" and
    the positive cell barely registers (``tests/test_training``: trained
    alike, it does no better than the mean face). The spatial softmax makes
    the cells compete for one unit of mass: the positive cell gets the
    whole gradient of the target.

    Why decoding is unbiased at the optimum: the loss is linear in ``t``,
    so training on random draws minimises the loss of the expected target
    ``q`` (the bilinear weights of the true point ``x``, at most 4 non-zero
    cells). Over the simplex ``-sum q log p`` is minimal at ``p = q``
    (Gibbs' inequality), i.e. ``l1 = log q + c`` for a per-map constant
    ``c``. The decoder takes the softmax of the top-k (k >= 4) scores, in
    which ``c`` cancels, so the weights are ``q / sum_topk q = q`` and the
    decoded point is ``sum_i q_i c_i = x`` exactly. Two decoders reach it:
    ``log_probs`` below (``log_softmax(l1)``), and H3R's released decoder,
    which takes the softmax of the top-k raw ``l1`` (``decode_scores=
    'logits'``): the same weights, since ``c`` cancels. The per-pixel term
    does not move this optimum: it constrains only ``l1 - l0``
    (``sigmoid(l1 - l0) = q``), and ``l0`` is free to satisfy it whatever
    ``l1`` is, so both terms reach their minima together.

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
