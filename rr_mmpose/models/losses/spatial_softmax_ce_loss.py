"""Cross-entropy over the H*W cells of each keypoint's map."""

import torch.nn.functional as F
from mmpose.registry import MODELS
from torch import Tensor, nn

from .weighting import check_target, weighted_keypoint_mean


@MODELS.register_module()
class SpatialSoftmaxCELoss(nn.Module):
    """Spatial softmax cross-entropy for randomized rounding targets.

    One logit map per keypoint; ``p = softmax(logits)`` over its H*W cells
    and ``loss = -sum_hw t * log p`` for the binary target ``t``.

    Why the decoder is consistent with it: the loss is linear in ``t``, so
    training on random draws minimises the loss of the expected target
    ``q`` (the bilinear weights of the true point ``x``). Over the simplex,
    ``-sum q log p`` is minimal at ``p = q`` (Gibbs' inequality). The
    decoder receives ``log p = log q`` and weighs the top-k cells by
    ``softmax(log q) = q / sum_topk q = q`` (``q`` has at most 4 non-zero
    cells, and topk >= 4), so it returns ``sum_i q_i c_i = x`` exactly: the
    bilinear weights of ``x`` have mean ``x`` on each axis.

    Shapes:
        output (N, K, H, W) logits; target (N, K, H, W); weights (N, K).

    Args:
        use_target_weight (bool): Weigh keypoints by ``target_weights``
            (invisible ones get 0). Defaults to True
        loss_weight (float): Scale of the loss. Defaults to 1.0
    """

    logits_per_keypoint = 1

    def __init__(self, use_target_weight: bool = True, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.use_target_weight = use_target_weight
        self.loss_weight = loss_weight

    def log_probs(self, output: Tensor) -> Tensor:
        """Per-cell log-probabilities (N, K, H, W) of the loss's model."""
        return F.log_softmax(output.flatten(2), dim=-1).view_as(output)

    def forward(
        self, output: Tensor, target: Tensor, target_weights: Tensor | None = None
    ) -> Tensor:
        check_target(output.shape, target, self.logits_per_keypoint)
        per_keypoint = -(target * self.log_probs(output)).flatten(2).sum(-1)
        weights = target_weights if self.use_target_weight else None
        return weighted_keypoint_mean(per_keypoint, weights) * self.loss_weight
