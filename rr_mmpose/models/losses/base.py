"""What the randomized rounding losses share: target checks, keypoint
weighting, and the probability model the decoder relies on."""

import torch
from torch import Tensor, nn


class RandomizedRoundingLoss(nn.Module):
    """Base of the losses :class:`RandomizedRoundingHead` accepts.

    A subclass defines its output layout (``logits_per_keypoint`` maps per
    keypoint), ``log_probs`` (the per-cell log-probabilities of its model,
    which the codec decodes) and ``per_keypoint_loss``.

    Args:
        use_target_weight (bool): Weigh keypoints by ``target_weights``
            (invisible ones get 0). Defaults to True
        loss_weight (float): Scale of the loss. Defaults to 1.0
    """

    logits_per_keypoint: int = 1

    def __init__(self, use_target_weight: bool = True, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.use_target_weight = use_target_weight
        self.loss_weight = loss_weight

    def log_probs(self, output: Tensor) -> Tensor:
        """(N, K, H, W) per-cell log-probabilities of the keypoint."""
        raise NotImplementedError

    def per_keypoint_loss(self, output: Tensor, target: Tensor) -> Tensor:
        """(N, K) losses."""
        raise NotImplementedError

    def forward(
        self, output: Tensor, target: Tensor, target_weights: Tensor | None = None
    ) -> Tensor:
        check_target(output.shape, target, self.logits_per_keypoint)
        per_keypoint = self.per_keypoint_loss(output, target)
        weights = target_weights if self.use_target_weight else None
        return weighted_keypoint_mean(per_keypoint, weights) * self.loss_weight


def weighted_keypoint_mean(per_keypoint: Tensor, weights: Tensor | None) -> Tensor:
    """Mean of (N, K) per-keypoint losses over the weighted keypoints.

    Invisible keypoints (weight 0) have empty targets and must not pull the
    map anywhere, so they are left out of both sum and count. A batch with
    no weighted keypoint gives 0 (with a gradient graph).
    """
    if weights is None:
        return per_keypoint.mean()
    if weights.shape != per_keypoint.shape:
        raise ValueError(
            f'target_weights of shape {tuple(weights.shape)} do not match the '
            f'(N, K) = {tuple(per_keypoint.shape)} keypoints'
        )
    weights = weights.to(per_keypoint.dtype)
    return (per_keypoint * weights).sum() / weights.sum().clamp_min(1e-6)


def check_target(output_shape: torch.Size, target: Tensor, logits_per_keypoint: int) -> None:
    n, c, h, w = output_shape
    if target.ndim != 4 or target.shape[0] != n or tuple(target.shape[2:]) != (h, w):
        raise ValueError(
            f'target of shape {tuple(target.shape)} does not match output {tuple(output_shape)}'
        )
    if c != logits_per_keypoint * target.shape[1]:
        raise ValueError(
            f'output of shape {tuple(output_shape)} has {c} channels; expected '
            f'{logits_per_keypoint} per keypoint for the {target.shape[1]} keypoints '
            f'of target {tuple(target.shape)}'
        )
