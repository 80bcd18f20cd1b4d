"""What the randomized rounding losses share: target checks, keypoint
weighting, the probability model the decoder relies on, and H3R's
two-class channel layout."""

import torch
import torch.nn.functional as F
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
        # Which codec encodes the targets is fixed by the config, so their
        # values are checked on the first batch only: the check reads them
        # on the host, a device sync that later steps need not pay.
        self._target_values_checked = False

    def log_probs(self, output: Tensor) -> Tensor:
        """(N, K, H, W) per-cell log-probabilities of the keypoint."""
        raise NotImplementedError

    def keypoint_logits(self, output: Tensor) -> Tensor:
        """(N, K, H, W) raw logits of the keypoint class: what H3R's released
        decoder reads (``RandomizedRoundingHead(decode_scores='logits')``)."""
        return output

    def per_keypoint_loss(self, output: Tensor, target: Tensor) -> Tensor:
        """(N, K) losses."""
        raise NotImplementedError

    def forward(
        self, output: Tensor, target: Tensor, target_weights: Tensor | None = None
    ) -> Tensor:
        check_target_shape(output.shape, target, self.logits_per_keypoint)
        if not self._target_values_checked:
            check_target_values(target)
            self._target_values_checked = True
        per_keypoint = self.per_keypoint_loss(output, target)
        weights = target_weights if self.use_target_weight else None
        return weighted_keypoint_mean(per_keypoint, weights) * self.loss_weight


class TwoClassLoss(RandomizedRoundingLoss):
    """Base of the losses on H3R's two-class head: 2K channels read as
    ``(N, 2, K, H, W)``, background logits ``l0`` in channels ``[0, K)`` and
    keypoint logits ``l1`` in ``[K, 2K)``, as H3R's ``BinaryHeadBlock`` and
    its released checkpoints lay them out. This class is the one place that
    knows the layout."""

    logits_per_keypoint = 2

    @staticmethod
    def split(output: Tensor) -> tuple[Tensor, Tensor]:
        """(N, 2K, H, W) -> background and keypoint logits, each (N, K, H, W)."""
        background, keypoint = output.unflatten(1, (2, -1)).unbind(1)
        return background, keypoint

    def keypoint_logits(self, output: Tensor) -> Tensor:
        return self.split(output)[1]

    @classmethod
    def per_pixel_mean(cls, output: Tensor, target: Tensor) -> Tensor:
        """(N, K) mean over each map's pixels of the per-pixel two-class
        cross-entropy ``-(t log p1 + (1 - t) log p0)``, ``p = softmax(l0, l1)``."""
        background, keypoint = cls.split(output)
        # Two-class softmax CE == binary CE on the logit difference.
        per_pixel = F.binary_cross_entropy_with_logits(
            keypoint - background, target, reduction='none'
        )
        return per_pixel.flatten(2).mean(-1)


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


def check_target_shape(output_shape: torch.Size, target: Tensor, logits_per_keypoint: int) -> None:
    """Refuse a target that does not fit the (N, logits_per_keypoint * K, H,
    W) output: (N, K, H, W) is expected."""
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


def check_target_values(target: Tensor) -> None:
    """Refuse (N, K, H, W) target maps that are not each a distribution over
    the cells."""
    # A Gaussian codec's target has the right shape too, and a cross-entropy
    # would train on it without a word: a config that inherits MMPose's
    # pipelines through _base_ keeps MSRAHeatmap there unless restated.
    mass = target.detach().flatten(2).sum(-1)
    if target.numel() and (target.min() < 0 or target.max() > 1 or mass.max() > 1 + 1e-4):
        raise ValueError(
            'target maps must each be a distribution over the cells (values in [0, 1], '
            f'summing to at most 1), as RandomizedRoundingHeatmap encodes them; got one '
            f'summing to {mass.max().item():.3g} with values in [{target.min().item():.3g}, '
            f"{target.max().item():.3g}]: a Gaussian codec's target (MSRAHeatmap, "
            'UDPHeatmap)? Check that every GenerateTarget the train loader runs '
            '(train_dataloader.dataset.pipeline) encodes with the randomized rounding codec'
        )
