"""Calibration of the randomized rounding codecs' keypoint scores.

A raw score ``s`` is the model's probability that the keypoint lies in the
cells (or SimCC window) its estimate is made of. What a user asks of a
score is the probability of another event: "the error is below my
threshold". The two differ in width (nine heatmap cells span about three
cells; a 5 % error threshold on a 128-pixel face crop is under one) and by
the network's over- or under-confidence. Platt scaling of the score's
log-odds covers both with two numbers::

    logit(s') = logit(s) / T + b

``T`` is the temperature of the binary event's logit (Guo et al., "On
Calibration of Modern Neural Networks", 2017); ``b`` moves the event.
Both are fitted on a validation set (``python -m rr_mmpose.tools.calibrate``).
The map is increasing in ``s``, so it never reorders keypoints: every
AUROC of the score stays as it was, and coordinates never depend on it.
It is applied once to a keypoint's final score, after a flip test has
averaged the two passes' raw masses, so that a fit on raw scores holds.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor

# Scores are clamped this far inside (0, 1) before the log-odds, so that a
# mass of exactly 0 or 1 maps to a finite logit (in float32, too).
EPSILON = 1e-6


def check_score_calibration(temperature: float, bias: float) -> tuple[float, float]:
    """``(T, b)`` as floats: ``T`` positive and finite, ``b`` finite; else
    a ``ValueError`` naming the argument."""
    temperature, bias = float(temperature), float(bias)
    if not (math.isfinite(temperature) and temperature > 0):
        raise ValueError(f'score_temperature must be positive and finite, got {temperature}')
    if not math.isfinite(bias):
        raise ValueError(f'score_bias must be finite, got {bias}')
    return temperature, bias


def calibrate_scores(scores: Tensor, temperature: float = 1.0, bias: float = 0.0) -> Tensor:
    """``sigmoid(logit(scores) / temperature + bias)``, elementwise; the
    scores themselves when ``(temperature, bias) = (1, 0)``.

    Args:
        scores (Tensor): Probabilities in [0, 1], any shape

    Returns:
        Tensor: Calibrated probabilities, the shape of ``scores``
    """
    if temperature == 1.0 and bias == 0.0:
        return scores
    return torch.sigmoid(torch.logit(scores, eps=EPSILON) / temperature + bias)


class CalibratedScores:
    """What the randomized rounding codecs share about scores: their
    ``score_temperature`` and ``score_bias``, and the map they define."""

    score_temperature: float = 1.0
    score_bias: float = 0.0

    def set_score_calibration(self, temperature: float, bias: float) -> None:
        """Check and keep ``(T, b)`` (a ``ValueError`` names a bad one)."""
        self.score_temperature, self.score_bias = check_score_calibration(temperature, bias)

    def calibrate(self, scores: Tensor | np.ndarray) -> Tensor | np.ndarray:
        """Raw scores (probability masses, any shape) to calibrated ones,
        of the same type and shape."""
        if isinstance(scores, Tensor):
            return calibrate_scores(scores, self.score_temperature, self.score_bias)
        tensor = torch.from_numpy(np.asarray(scores, dtype=np.float32))
        return calibrate_scores(tensor, self.score_temperature, self.score_bias).numpy()
