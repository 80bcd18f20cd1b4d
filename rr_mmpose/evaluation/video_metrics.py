"""How steady landmarks are on video: jitter, staircase rate and lag.

Per-frame NME says how far each frame's landmarks are from the truth; on
video what shows is how the error changes from frame to frame. A decoder
that quantizes to heatmap cells holds a landmark still while the face
moves slowly, then jumps (a *staircase*); a smoothing filter removes the
jitter but makes the landmarks trail the face (*lag*). Each function takes
predicted and true landmarks of one face over T consecutive frames,
``pred`` and ``gt`` (T, K, 2) in pixels, frame ``t`` at index ``t``.

Written for :mod:`rr_mmpose.datasets.generate_video`, whose ground truth
is exact, and :mod:`rr_mmpose.apis.landmark_filters`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from mmpose.evaluation.metrics import NME
from numpy.typing import ArrayLike

# 300W's outer eye corners (0-based): MMPose's NME normalisation for 300W.
OUTER_EYE_CORNERS = tuple(NME.DEFAULT_KEYPOINT_INDICES['300w'])
# A prediction "stands still" when it moves less than this, in pixels: a
# hundredth of a pixel. A decoder that quantizes returns exactly the same
# value (a move of 0) while a landmark stays in one cell; a continuous one
# moves by more than this whenever the face moves by a tenth of a pixel.
STILL = 0.01


def _tracks(pred: ArrayLike, gt: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Check and convert ``pred`` and ``gt`` to float64 (T, K, D) arrays."""
    pred = np.asarray(pred, dtype=np.float64)
    gt = np.asarray(gt, dtype=np.float64)
    if pred.shape != gt.shape:
        raise ValueError(f'pred and gt must have the same shape, got {pred.shape} and {gt.shape}')
    if pred.ndim != 3 or pred.shape[1] < 1 or pred.shape[2] < 1:
        raise ValueError(f'pred and gt must be (T, K, 2) landmark tracks, got {pred.shape}')
    if len(pred) < 3:
        raise ValueError(f'a track needs at least 3 frames, got {len(pred)}')
    if not (np.isfinite(pred).all() and np.isfinite(gt).all()):
        raise ValueError('pred and gt must be finite')
    return pred, gt


def outer_eye_distance(
    keypoints: ArrayLike, indices: Sequence[int] = OUTER_EYE_CORNERS
) -> np.ndarray:
    """The distance between two landmarks in each frame, by default 300W's
    outer eye corners: a per-frame normaliser for :func:`jitter`.

    Args:
        keypoints: (T, K, 2) landmarks
        indices: the two landmarks' indices

    Returns:
        np.ndarray: (T,) distances in pixels
    """
    keypoints = np.asarray(keypoints, dtype=np.float64)
    if keypoints.ndim != 3:
        raise ValueError(f'keypoints must be (T, K, 2), got {keypoints.shape}')
    if len(indices) != 2 or not all(-keypoints.shape[1] <= i < keypoints.shape[1] for i in indices):
        raise ValueError(
            f'indices must be two of the {keypoints.shape[1]} landmarks, got {indices}'
        )
    first, second = indices
    return np.linalg.norm(keypoints[:, first] - keypoints[:, second], axis=-1)


def outer_eye_nme(pred: ArrayLike, gt: ArrayLike) -> float:
    """NME in %, normalised by 300W's outer eye corners: each face's mean
    landmark error over its :func:`outer_eye_distance`, averaged over faces.

    Args:
        pred, gt: (N, K, 2) landmarks of N faces
    """
    pred, gt = np.asarray(pred, dtype=np.float64), np.asarray(gt, dtype=np.float64)
    errors = np.linalg.norm(pred - gt, axis=-1).mean(axis=-1)
    return float(100 * np.mean(errors / outer_eye_distance(gt)))


def jitter(pred: ArrayLike, gt: ArrayLike, normaliser: ArrayLike) -> float:
    """RMS frame-to-frame change of the error, in % of the normaliser.

    With the error ``e[t, k] = pred[t, k] - gt[t, k]`` and the normaliser
    averaged over the two frames of each step, ``n'[t] = (n[t] + n[t-1]) / 2``::

        jitter = 100 * sqrt( mean over t = 1..T-1 and k of
                             |e[t, k] - e[t-1, k]|^2 / n'[t]^2 )

    ``|.|`` is the Euclidean norm. An error that stays the same (a constant
    offset, however large) has zero jitter; only its change counts, so the
    face's own motion does not.

    Args:
        pred: (T, K, 2) predicted landmarks, T >= 3
        gt: (T, K, 2) true landmarks
        normaliser: (T,) positive per-frame length (e.g.
            :func:`outer_eye_distance` of ``gt``), or one number for all frames

    Returns:
        float: the jitter, in % of the normaliser
    """
    pred, gt = _tracks(pred, gt)
    normaliser = np.asarray(normaliser, dtype=np.float64)
    if normaliser.ndim == 0:
        normaliser = np.full(len(gt), float(normaliser))
    if normaliser.shape != (len(gt),):
        raise ValueError(
            f'normaliser must be one number or ({len(gt)},), one per frame, got {normaliser.shape}'
        )
    if not (np.isfinite(normaliser).all() and (normaliser > 0).all()):
        raise ValueError('normaliser must be positive and finite in every frame')
    change = np.diff(pred - gt, axis=0)  # (T-1, K, D)
    step_normaliser = (normaliser[1:] + normaliser[:-1]) / 2
    squared = (change**2).sum(-1) / step_normaliser[:, None] ** 2
    return float(100 * np.sqrt(squared.mean()))


def staircase_rate(
    pred: ArrayLike, gt: ArrayLike, still: float = STILL, moving: float = 0.1
) -> float:
    """How often the prediction stands still while the truth moves.

    With ``dg[t, k] = |gt[t, k] - gt[t-1, k]|`` and
    ``dp[t, k] = |pred[t, k] - pred[t-1, k]|`` for t = 1..T-1::

        staircase_rate = #{(t, k): dg > moving and dp < still}
                         / #{(t, k): dg > moving}

    the fraction of the steps where the true landmark moves by more than
    ``moving`` pixels (default: a tenth of a pixel) in which the prediction
    moves by less than ``still`` pixels (default :data:`STILL`, a hundredth
    of a pixel). A decoder that rounds to heatmap cells scores high on a
    slow face (it returns the same value until the landmark crosses into
    the next cell); a continuous one scores near 0.

    Args:
        pred: (T, K, 2) predicted landmarks, T >= 3
        gt: (T, K, 2) true landmarks
        still (float): a move below this, in pixels, is standing still
        moving (float): a true move above this, in pixels, is moving

    Returns:
        float: the rate in [0, 1]; nan when the truth never moves by more
        than ``moving``
    """
    pred, gt = _tracks(pred, gt)
    for name, value in (('still', still), ('moving', moving)):
        if not (np.isfinite(value) and value >= 0):
            raise ValueError(f'{name} must be a non-negative number of pixels, got {value}')
    true_moves = np.linalg.norm(np.diff(gt, axis=0), axis=-1) > moving
    pred_stays = np.linalg.norm(np.diff(pred, axis=0), axis=-1) < still
    if not true_moves.any():
        return float('nan')
    return float((true_moves & pred_stays).sum() / true_moves.sum())


def lag_correlations(pred: ArrayLike, gt: ArrayLike, max_lag: int = 10) -> np.ndarray:
    """Correlation of the predicted with the true displacements, the
    prediction shifted by each delay d = 0..max_lag frames.

    With the displacements ``vp[t] = pred[t] - pred[t-1]`` and
    ``vg[t] = gt[t] - gt[t-1]`` (t = 1..T-1, each (K, 2)), ``x`` the
    values of ``vp[t + d]`` and ``y`` those of ``vg[t]`` for every t where
    both exist, pooled over keypoints and both axes into one vector each::

        r[d] = sum((x - mean x) * (y - mean y))
               / sqrt(sum((x - mean x)^2) * sum((y - mean y)^2))

    (Pearson's correlation). ``r[d]`` is nan where either vector is constant.

    Returns:
        np.ndarray: (max_lag + 1,) correlations, ``r[d]`` at index ``d``
    """
    pred, gt = _tracks(pred, gt)
    if isinstance(max_lag, bool) or int(max_lag) != max_lag or max_lag < 0:
        raise ValueError(f'max_lag must be a non-negative integer, got {max_lag}')
    max_lag = int(max_lag)
    steps = len(gt) - 1
    if steps - max_lag < 2:
        raise ValueError(
            f'max_lag={max_lag} needs at least {max_lag + 3} frames, got {len(gt)}: '
            'fewer than two displacement pairs are left at the longest delay'
        )
    moves_pred, moves_gt = np.diff(pred, axis=0), np.diff(gt, axis=0)
    correlations = np.full(max_lag + 1, np.nan)
    for d in range(max_lag + 1):
        x = moves_pred[d:].ravel()
        y = moves_gt[: steps - d].ravel()
        x, y = x - x.mean(), y - y.mean()
        scale = np.sqrt((x * x).sum() * (y * y).sum())
        if scale > 0:
            correlations[d] = (x * y).sum() / scale
    return correlations


def lag(pred: ArrayLike, gt: ArrayLike, max_lag: int = 10) -> int:
    """The delay, in frames, at which the prediction best follows the truth.

    The ``d`` in 0..max_lag that maximises :func:`lag_correlations`
    ``r[d]``, the correlation between the predicted displacements ``d``
    frames later and the true ones (the smallest such ``d`` on a tie). A
    predictor that looks at each frame alone follows the truth at once:
    lag 0 (unless its noise swamps the motion). A causal smoothing filter makes the
    landmarks trail the face: the lag grows with the smoothing. A
    prediction that repeats the truth ``d`` frames late has lag ``d``.

    Args:
        pred: (T, K, 2) predicted landmarks, T >= max_lag + 3
        gt: (T, K, 2) true landmarks
        max_lag (int): the longest delay tried, in frames

    Returns:
        int: the delay in frames

    Raises:
        ValueError: for bad inputs, or when the predicted or true
            displacements do not vary at any delay (a landmark that stands
            still, or moves at one constant velocity, has no measurable lag)
    """
    correlations = lag_correlations(pred, gt, max_lag)
    if np.isnan(correlations).all():
        raise ValueError(
            'the predicted or true displacements do not vary: the lag is undefined '
            '(a still landmark, or one moving at a constant velocity)'
        )
    return int(np.nanargmax(correlations))
