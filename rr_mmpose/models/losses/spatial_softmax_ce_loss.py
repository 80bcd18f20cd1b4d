"""Cross-entropy over the H*W cells of each keypoint's map."""

import torch.nn.functional as F
from mmpose.registry import MODELS
from torch import Tensor

from .base import RandomizedRoundingLoss


@MODELS.register_module()
class SpatialSoftmaxCELoss(RandomizedRoundingLoss):
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

    Args: see :class:`RandomizedRoundingLoss`.
    """

    logits_per_keypoint = 1

    def log_probs(self, output: Tensor) -> Tensor:
        """Per-cell log-probabilities (N, K, H, W) of the loss's model."""
        return F.log_softmax(output.flatten(2), dim=-1).view_as(output)

    def per_keypoint_loss(self, output: Tensor, target: Tensor) -> Tensor:
        return -(target * self.log_probs(output)).flatten(2).sum(-1)
