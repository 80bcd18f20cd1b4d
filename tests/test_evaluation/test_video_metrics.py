"""Video landmark metrics against hand computations, on made-up tracks and
on a generated clip, and their errors for bad input."""

from __future__ import annotations

import numpy as np
import pytest

from rr_mmpose.datasets.generate_video import render_clip
from rr_mmpose.evaluation.video_metrics import (
    STILL,
    jitter,
    lag,
    lag_correlations,
    outer_eye_distance,
    outer_eye_nme,
    staircase_rate,
)


def slow_track(rng, frames: int = 120, keypoints: int = 5) -> np.ndarray:
    """(T, K, 2) landmarks drifting slowly with a wobble: sub-pixel steps."""
    t = np.arange(frames)[:, None, None]
    base = rng.uniform(20, 100, (1, keypoints, 2))
    phase = rng.uniform(0, 2 * np.pi, (1, keypoints, 2))
    return base + [0.13, 0.07] * t + 1.5 * np.sin(2 * np.pi * t / 40 + phase)


def delayed(track: np.ndarray, frames: int) -> np.ndarray:
    """The track ``frames`` late: frame t shows frame t - frames (the first held)."""
    return track[np.maximum(np.arange(len(track)) - frames, 0)]


def moving_average(track: np.ndarray, weight: float) -> np.ndarray:
    """A causal exponential smoother: y[t] = w x[t] + (1 - w) y[t-1]."""
    out = track.copy()
    for t in range(1, len(track)):
        out[t] = weight * track[t] + (1 - weight) * out[t - 1]
    return out


def test_a_constant_error_has_no_jitter(rng):
    gt = slow_track(rng)
    assert jitter(gt + [3.0, -2.0], gt, 40.0) == pytest.approx(0, abs=1e-12)
    assert jitter(gt, gt, np.full(len(gt), 40.0)) == 0


def test_jitter_by_hand():
    # An error flipping between +a and -a along x changes by 2a every frame.
    gt = np.zeros((6, 2, 2))
    pred = gt.copy()
    pred[:, :, 0] = 0.5 * (-1.0) ** np.arange(6)[:, None]
    assert jitter(pred, gt, 50.0) == pytest.approx(100 * 1.0 / 50)
    # Per-frame normalisers: each step uses the mean of its two frames'.
    gt = np.zeros((3, 1, 2))
    pred = np.array([[[0.0, 0.0]], [[3.0, 4.0]], [[3.0, 4.0]]])
    expected = 100 * np.sqrt(((5 / 10) ** 2 + 0**2) / 2)
    assert jitter(pred, gt, [10.0, 10.0, 20.0]) == pytest.approx(expected)


def test_outer_eye_distance():
    keypoints = np.zeros((2, 68, 2))
    keypoints[:, 45] = [[30.0, 40.0], [6.0, 8.0]]
    np.testing.assert_allclose(outer_eye_distance(keypoints), [50.0, 10.0])
    with pytest.raises(ValueError, match='two of the 68'):
        outer_eye_distance(keypoints, (36, 68))


def test_outer_eye_nme_averages_each_faces_normalised_error():
    """Face 1: every landmark 5 px off over an eye distance of 50 (10 %);
    face 2: 1 px over 10 (10 %); and one landmark of face 2 off by 68 px
    more adds 68 / 68 / 10 = 10 %: (10 + 20) / 2 = 15 %."""
    gt = np.zeros((2, 68, 2))
    gt[:, 45] = [[30.0, 40.0], [6.0, 8.0]]
    pred = gt.copy()
    pred[0, :, 0] += 5.0
    pred[1, :, 1] += 1.0
    pred[1, 0, 1] += 68.0
    assert outer_eye_nme(pred, gt) == pytest.approx(15.0)


def test_a_rounding_prediction_climbs_stairs_a_continuous_one_does_not(rng):
    gt = rng.uniform(20, 100, (1, 5, 2)) + [0.13, 0.07] * np.arange(120)[:, None, None]
    rounded = np.round(gt)
    assert staircase_rate(rounded, gt) > 0.8
    continuous = gt + 0.3 + rng.normal(0, 0.05, gt.shape)
    assert staircase_rate(continuous, gt) == 0
    assert STILL == 0.01


def test_staircase_rate_by_hand():
    gt = np.zeros((4, 1, 2))
    gt[:, 0, 0] = [0.0, 0.2, 0.4, 0.6]  # moves a fifth of a pixel each frame
    pred = np.zeros((4, 1, 2))
    pred[:, 0, 0] = [0.0, 0.0, 0.0, 1.0]  # still, still, then a jump
    assert staircase_rate(pred, gt) == pytest.approx(2 / 3)
    # Steps where the truth barely moves are left out of the count.
    assert staircase_rate(pred, gt, moving=0.3) != staircase_rate(pred, gt, moving=0.3)  # nan
    gt[:, 0, 0] = [0.0, 0.05, 0.4, 0.6]  # the first step is below `moving`
    assert staircase_rate(pred, gt) == pytest.approx(1 / 2)
    assert np.isnan(staircase_rate(pred, np.zeros_like(gt)))


def test_a_prediction_three_frames_late_has_lag_3(rng):
    gt = slow_track(rng)
    assert lag(delayed(gt, 3), gt) == 3
    assert lag_correlations(delayed(gt, 3), gt)[3] == pytest.approx(1)
    assert lag(gt, gt) == 0


def test_a_per_frame_predictor_has_no_lag_and_smoothing_adds_some(rng):
    clip = render_clip(rng, num_frames=120, size=128)
    gt = clip.keypoints
    noisy = gt + rng.normal(0, 0.1, gt.shape)
    assert lag(noisy, gt) == 0
    smoothed, oversmoothed = moving_average(noisy, 0.5), moving_average(noisy, 0.1)
    assert 0 < lag(smoothed, gt) < lag(oversmoothed, gt)
    # Light smoothing trades jitter for lag. Heavy smoothing trails the face
    # by an error that changes with the face's speed: jitter again.
    eyes = outer_eye_distance(gt)
    assert jitter(smoothed, gt, eyes) < jitter(noisy, gt, eyes) / 2
    assert jitter(oversmoothed, gt, eyes) > jitter(smoothed, gt, eyes)


def test_bad_input_raises():
    good = np.zeros((5, 3, 2))
    for metric in (lambda p, g: jitter(p, g, 1.0), staircase_rate, lambda p, g: lag(p, g, 1)):
        with pytest.raises(ValueError, match='same shape'):
            metric(good, np.zeros((5, 4, 2)))
        with pytest.raises(ValueError, match=r'\(T, K, 2\)'):
            metric(np.zeros((5, 3)), np.zeros((5, 3)))
        with pytest.raises(ValueError, match='at least 3 frames'):
            metric(np.zeros((2, 3, 2)), np.zeros((2, 3, 2)))
        bad = good.copy()
        bad[1, 1, 0] = np.nan
        with pytest.raises(ValueError, match='finite'):
            metric(bad, good)
    for normaliser in (0.0, -1.0, [1.0, 1.0, 0.0, 1.0, 1.0], np.nan):
        with pytest.raises(ValueError, match='positive'):
            jitter(good, good, normaliser)
    with pytest.raises(ValueError, match=r'one per frame'):
        jitter(good, good, [1.0, 2.0])
    with pytest.raises(ValueError, match='still'):
        staircase_rate(good, good, still=-1)
    with pytest.raises(ValueError, match='moving'):
        staircase_rate(good, good, moving=np.nan)
    with pytest.raises(ValueError, match='max_lag'):
        lag(good, good, max_lag=-1)
    with pytest.raises(ValueError, match='max_lag'):
        lag(good, good, max_lag=1.5)
    with pytest.raises(ValueError, match='needs at least 5 frames'):
        lag(np.zeros((4, 3, 2)), np.zeros((4, 3, 2)), max_lag=2)
    with pytest.raises(ValueError, match='do not vary'):
        lag(good, good, max_lag=1)  # nothing moves
