"""Calibration of the randomized rounding codecs' keypoint scores, fitted
on a validation set.

A raw score is the model's probability that the keypoint lies in the cells
(or window) the estimate is made of; what :class:`FaceLandmarkMetric`
calibrates against is another event, the keypoint's normalised error being
below ``calibration_threshold``. The codecs map a score ``s`` to
``sigmoid(logit(s) / T + b)`` (:mod:`rr_mmpose.codecs.score_calibration`):
``T``, the temperature of the event's logit (Guo et al., 2017), corrects
over- or under-confidence; ``b`` moves from the one event to the other.
Both are fitted here by the binary cross-entropy of the model's own
predictions (flip test and all) on a validation set. The map is increasing
in ``s``, and it enters the scores only, so the NME cannot change.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from scipy.optimize import minimize

from .face_landmark_metric import FaceLandmarkMetric, expected_calibration_error

TEMPERATURE_BOUNDS = (0.05, 20.0)
BIAS_BOUNDS = (-10.0, 10.0)
Calibration = tuple[float, float]  # (score_temperature, score_bias)


def fit_score_calibration(
    scores_at: Callable[[float, float], np.ndarray],
    correct: np.ndarray,
    temperature_bounds: tuple[float, float] = TEMPERATURE_BOUNDS,
    bias_bounds: tuple[float, float] = BIAS_BOUNDS,
) -> Calibration:
    """The ``(T, b)`` within bounds that minimise the binary cross-entropy
    of ``scores_at(T, b)`` (probabilities, (M,)) against ``correct`` ((M,)
    bool).

    Raises:
        ValueError: ``correct`` is all true or all false (nothing to fit),
            or its shape differs from the scores'.
    """
    correct = np.asarray(correct, dtype=bool)
    if correct.all() or not correct.any():
        raise ValueError(
            f'cannot fit a calibration: all {correct.size} keypoints are '
            f'{"correct" if correct.all() else "wrong"}'
        )

    def nll(params: np.ndarray) -> float:
        log_t, bias = params
        p = np.asarray(scores_at(float(np.exp(log_t)), float(bias)), dtype=np.float64)
        if p.shape != correct.shape:
            raise ValueError(f'scores of shape {p.shape} for {correct.shape} keypoints')
        p = np.clip(p, 1e-7, 1 - 1e-7)
        return float(-np.mean(np.where(correct, np.log(p), np.log1p(-p))))

    bounds = [tuple(np.log(temperature_bounds)), bias_bounds]
    # From (T, b) = (1, 0), with steps wide enough to leave it in a few moves.
    simplex = np.array([[0.0, 0.0], [0.5, 0.0], [0.0, 1.0]])
    options = {'initial_simplex': simplex}
    fitted = minimize(nll, x0=simplex[0], method='Nelder-Mead', bounds=bounds, options=options)
    return float(np.exp(fitted.x[0])), float(fitted.x[1])


def calibrates(decoder) -> bool:
    """Whether a codec calibrates its scores: it has ``score_temperature``
    and ``score_bias`` (the randomized rounding codecs)."""
    return hasattr(decoder, 'score_temperature') and hasattr(decoder, 'score_bias')


def refusal(decoder) -> str:
    """Why ``decoder`` cannot be calibrated."""
    return (
        f'{type(decoder).__name__} has no score_temperature and score_bias: only the '
        'randomized rounding codecs calibrate their scores'
    )


class CachedPredictions:
    """A model's features on a validation loader, computed once, so that
    the head can decode them again (under any score calibration, for the
    randomized rounding codecs).

    Args:
        model: An MMPose ``TopdownPoseEstimator``
        dataloader: The validation loader (what ``val_dataloader`` builds)
    """

    def __init__(self, model, dataloader) -> None:
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

    def data_samples(self, calibration: Calibration | None = None) -> list[dict]:
        """Every sample's prediction (image space), as the ``Evaluator``
        hands them to a metric; under ``calibration`` (``(T, b)``) if given,
        else the codec's own.

        Raises:
            TypeError: a calibration for a codec without ``score_temperature``
                and ``score_bias``
        """
        model = self.model
        decoder = model.head.decoder
        if calibration is not None and not calibrates(decoder):
            raise TypeError(refusal(decoder))
        keep = (decoder.score_temperature, decoder.score_bias) if calibrates(decoder) else None
        if calibration is not None:
            decoder.score_temperature, decoder.score_bias = calibration
        out = []
        try:
            with torch.no_grad():
                for feats, samples in self.batches:
                    preds = model.head.predict(feats, samples, test_cfg=model.test_cfg)
                    samples = model.add_pred_to_datasample(preds, None, samples)
                    out += [s.to_dict() for s in samples]
        finally:
            if calibration is not None:
                decoder.score_temperature, decoder.score_bias = keep
        return out


def calibrate(predictions: CachedPredictions, metric: FaceLandmarkMetric) -> dict:
    """Fit the score calibration of a model on its validation predictions.

    Returns:
        dict: ``temperature`` and ``bias`` fitted, ``ECE`` before (the raw
        scores, ``(1, 0)``) and after, and the number of ``keypoints``
    """

    def results(calibration: Calibration) -> list:
        metric.results = []
        metric.process([], predictions.data_samples(calibration))
        return metric.results

    base = results((1.0, 0.0))
    errors, mask = metric.keypoint_errors(base)
    correct = errors[mask] < metric.calibration_threshold

    def scores_at(temperature: float, bias: float) -> np.ndarray:
        return np.concatenate([r['scores'] for r in results((temperature, bias))])[mask]

    temperature, bias = fit_score_calibration(scores_at, correct)
    return dict(
        temperature=temperature,
        bias=bias,
        ece_before=expected_calibration_error(scores_at(1.0, 0.0), correct, metric.num_bins),
        ece_after=expected_calibration_error(
            scores_at(temperature, bias), correct, metric.num_bins
        ),
        keypoints=int(correct.size),
    )
