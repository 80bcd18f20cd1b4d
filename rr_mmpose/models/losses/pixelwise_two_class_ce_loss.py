"""Per-pixel two-class cross-entropy: the loss of H3R's released head."""

import torch.nn.functional as F
from mmpose.registry import MODELS
from torch import Tensor

from .base import TwoClassLoss


@MODELS.register_module()
class PixelwiseTwoClassCELoss(TwoClassLoss):
    """Two logits (background, keypoint) per pixel per keypoint.

    The head emits 2K channels in H3R's layout (see :class:`TwoClassLoss`).
    Each pixel is a two-class problem, ``p = softmax`` over the pair, and
    the loss is the mean over pixels of ``-(t log p1 + (1 - t) log p0)``.

    Why the decoder is consistent with it: the loss is linear in ``t``, so
    the random targets train towards the expected target ``q``; each
    pixel's binary cross-entropy is minimal at ``p1 = q``. The decoder
    receives ``log p1 = log q`` and so weighs the top-k cells by
    ``q / sum_topk q = q``, returning ``x`` exactly.

    H3R's own decoder instead takes the softmax of the raw keypoint logits
    ``l1``. Those are not fixed by the loss (only ``l1 - l0`` is), and even
    with ``l0 = 0`` the weights become ``q / (1 - q)``: a bias towards the
    nearest cell (see ``tools/benchmarks``). Use
    ``RandomizedRoundingHead(decode_scores='logits')`` to reproduce it.

    Shapes:
        output (N, 2K, H, W) logits; target (N, K, H, W); weights (N, K).

    Args: see :class:`RandomizedRoundingLoss`.
    """

    def log_probs(self, output: Tensor) -> Tensor:
        """Per-cell log-probabilities (N, K, H, W) of the keypoint class."""
        background, keypoint = self.split(output)
        return F.logsigmoid(keypoint - background)

    def per_keypoint_loss(self, output: Tensor, target: Tensor) -> Tensor:
        return self.per_pixel_mean(output, target)
