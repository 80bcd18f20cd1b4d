"""Calibration of the randomized rounding codecs' keypoint scores, fitted
on a validation set.

A raw score is the model's probability that the keypoint lies in the cells
(or window) the estimate is made of; what :class:`FaceLandmarkMetric`
calibrates against is another event, the keypoint's normalised error being
below ``calibration_threshold``. The codecs map a score ``s`` to
``sigmoid(logit(s) / T + b)`` (:mod:`rr_mmpose.codecs.score_calibration`):
``T``, the temperature of the event's logit (Guo et al., 2017), corrects
over- or under-confidence; ``b`` moves from the one event to the other.
Both are fitted here by the binary cross-entropy of the model's own raw
scores (flip test and all) on a validation set. The map is increasing in
``s``, and it enters the scores only, so neither the NME nor any AUROC of
the scores can change.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
import torch
from scipy.optimize import minimize

from rr_mmpose.codecs.score_calibration import CalibratedScores, calibrate_scores

from .face_landmark_metric import FaceLandmarkMetric, expected_calibration_error

if TYPE_CHECKING:
    from mmengine.model import BaseModel
    from mmpose.codecs.base import BaseKeypointCodec
    from mmpose.models.pose_estimators import TopdownPoseEstimator

TEMPERATURE_BOUNDS = (0.05, 20.0)
BIAS_BOUNDS = (-10.0, 10.0)


def fit_score_calibration(
    scores: np.ndarray,
    correct: np.ndarray,
    temperature_bounds: tuple[float, float] = TEMPERATURE_BOUNDS,
    bias_bounds: tuple[float, float] = BIAS_BOUNDS,
) -> tuple[float, float]:
    """The ``(T, b)`` within bounds that minimise the binary cross-entropy
    of the calibrated ``scores`` (raw probabilities, (M,)) against
    ``correct`` ((M,) bool).

    Raises:
        ValueError: ``correct`` is all true or all false (nothing to fit),
            or its shape differs from the scores'.
    """
    correct = np.asarray(correct, dtype=bool)
    raw = torch.as_tensor(np.asarray(scores, dtype=np.float64))
    if raw.shape != correct.shape:
        raise ValueError(f'scores of shape {tuple(raw.shape)} for {correct.shape} keypoints')
    if correct.all() or not correct.any():
        raise ValueError(
            f'cannot fit a calibration: all {correct.size} keypoints are '
            f'{"correct" if correct.all() else "wrong"}'
        )

    def nll(params: np.ndarray) -> float:
        p = calibrate_scores(raw, float(np.exp(params[0])), float(params[1])).numpy()
        return negative_log_likelihood(p, correct)

    bounds = [tuple(np.log(temperature_bounds)), bias_bounds]
    # From (T, b) = (1, 0), with steps wide enough to leave it in a few moves.
    simplex = np.array([[0.0, 0.0], [0.5, 0.0], [0.0, 1.0]])
    options = {'initial_simplex': simplex}
    fitted = minimize(nll, x0=simplex[0], method='Nelder-Mead', bounds=bounds, options=options)
    return float(np.exp(fitted.x[0])), float(fitted.x[1])


def calibrates(decoder: BaseKeypointCodec) -> bool:
    """Whether a codec calibrates its scores (the randomized rounding codecs)."""
    return isinstance(decoder, CalibratedScores)


def refusal(decoder: BaseKeypointCodec) -> str:
    """Why ``decoder`` cannot be calibrated."""
    return (
        f'{type(decoder).__name__} has no score_temperature and score_bias: only the '
        'randomized rounding codecs calibrate their scores'
    )


def predicted_samples(model: BaseModel, dataloader: Iterable[dict]) -> list[dict]:
    """The model's predictions on ``dataloader`` by MMPose's own
    ``test_step`` (flip test as its ``test_cfg`` says), as the ``Evaluator``
    hands them to a metric."""
    with torch.no_grad():
        return [s.to_dict() for batch in dataloader for s in model.eval().test_step(batch)]


class CachedPredictions:
    """A model's features on a loader, computed once, so that the head can
    decode them as often as needed (e.g. with another decoder).

    Args:
        model: An MMPose ``TopdownPoseEstimator``
        dataloader: The validation loader (what ``val_dataloader`` builds)
    """

    def __init__(self, model: TopdownPoseEstimator, dataloader: Iterable[dict]) -> None:
        self.model = model.eval()
        self.batches = []
        flip = model.test_cfg.get('flip_test', False)
        with torch.no_grad():
            for batch in dataloader:
                data = model.data_preprocessor(batch, False)
                inputs, samples = data['inputs'], data['data_samples']
                feats = model.extract_feat(inputs)
                if flip:
                    feats = [feats, model.extract_feat(inputs.flip(-1))]
                self.batches.append((feats, samples))

    def data_samples(self) -> list[dict]:
        """Every sample's prediction (image space) by the head's current
        decoder, as the ``Evaluator`` hands them to a metric."""
        model = self.model
        out = []
        with torch.no_grad():
            for feats, samples in self.batches:
                preds = model.head.predict(feats, samples, test_cfg=model.test_cfg)
                if isinstance(preds, tuple):  # output_heatmaps: (instances, heatmaps)
                    preds = preds[0]
                samples = model.add_pred_to_datasample(preds, None, samples)
                out += [s.to_dict() for s in samples]
        return out


def calibrate(samples: list[dict], metric: FaceLandmarkMetric) -> dict:
    """Fit the score calibration of a model on its validation predictions
    ``samples`` (as :func:`predicted_samples` gives them), which must carry
    raw scores: decoded with ``(T, b) = (1, 0)``.

    Returns:
        dict: ``temperature`` and ``bias`` fitted, the ECE and the negative
        log-likelihood (which the fit minimises) before (the raw scores) and
        after, and the number of ``keypoints``
    """
    metric.results = []
    metric.process([], samples)
    errors, mask = metric.keypoint_errors(metric.results)
    correct = errors[mask] < metric.calibration_threshold
    raw = np.concatenate([r['scores'] for r in metric.results])[mask]
    temperature, bias = fit_score_calibration(raw, correct)
    calibrated = calibrate_scores(torch.as_tensor(raw, dtype=torch.float64), temperature, bias)
    calibrated = calibrated.numpy()
    return dict(
        temperature=temperature,
        bias=bias,
        ece_before=expected_calibration_error(raw, correct, metric.num_bins),
        ece_after=expected_calibration_error(calibrated, correct, metric.num_bins),
        nll_before=negative_log_likelihood(raw, correct),
        nll_after=negative_log_likelihood(calibrated, correct),
        keypoints=int(correct.size),
    )


def negative_log_likelihood(scores: np.ndarray, correct: np.ndarray) -> float:
    """Mean negative log-likelihood of ``correct`` (N,) bool under the
    probabilities ``scores`` (N,): what :func:`fit_score_calibration`
    minimises."""
    p = np.clip(np.asarray(scores, np.float64), 1e-7, 1 - 1e-7)
    return float(-np.mean(np.where(correct, np.log(p), np.log1p(-p))))
