"""Reduction shared by the randomized rounding losses."""

from torch import Tensor


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


def check_target(output_shape, target: Tensor, logits_per_keypoint: int) -> None:
    n, c, h, w = output_shape
    if target.ndim != 4 or target.shape[0] != n or tuple(target.shape[2:]) != (h, w):
        raise ValueError(
            f'target of shape {tuple(target.shape)} does not match output {tuple(output_shape)}'
        )
    if c != logits_per_keypoint * target.shape[1]:
        raise ValueError(
            f'output has {c} channels; expected {logits_per_keypoint} per keypoint '
            f'for {target.shape[1]} keypoints'
        )
