"""Temperature calibration of the randomized rounding codecs' keypoint
scores, fitted on a validation set.

A score is the model's probability that the keypoint lies in the cells
(or window) the estimate is made of. Networks trained with a cross-entropy
tend to be over- or under-confident; one temperature ``T`` for the whole
model (Guo et al., "On Calibration of Modern Neural Networks", 2017) fixes
most of it. Here ``T`` only enters the score (the codecs'
``score_temperature``), never the coordinates, so calibrating cannot change
the NME. It is fitted to the event :class:`FaceLandmarkMetric` calibrates
against: the keypoint's normalised error is below ``calibration_threshold``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from scipy.optimize import minimize_scalar

from .face_landmark_metric import FaceLandmarkMetric, expected_calibration_error

TEMPERATURE_BOUNDS = (0.05, 20.0)


def fit_temperature(
    scores_at: Callable[[float], np.ndarray],
    correct: np.ndarray,
    bounds: tuple[float, float] = TEMPERATURE_BOUNDS,
) -> float:
    """The ``T`` in ``bounds`` that minimises the binary cross-entropy of
    ``scores_at(T)`` (probabilities, (M,)) against ``correct`` ((M,) bool).

    Raises:
        ValueError: ``correct`` is all true or all false (nothing to fit),
            or its shape differs from the scores'.
    """
    correct = np.asarray(correct, dtype=bool)
    if correct.all() or not correct.any():
        raise ValueError(
            f'cannot fit a temperature: all {correct.size} keypoints are '
            f'{"correct" if correct.all() else "wrong"}'
        )

    def nll(log_t: float) -> float:
        p = np.clip(np.asarray(scores_at(float(np.exp(log_t))), dtype=np.float64), 1e-7, 1 - 1e-7)
        if p.shape != correct.shape:
            raise ValueError(f'scores of shape {p.shape} for {correct.shape} keypoints')
        return float(-np.mean(np.where(correct, np.log(p), np.log1p(-p))))

    low, high = np.log(bounds)
    return float(np.exp(minimize_scalar(nll, bounds=(low, high), method='bounded').x))


class CachedPredictions:
    """A model's features on a validation loader, computed once, so that
    the head can decode them again (at any score temperature, for the
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

    def data_samples(self, temperature: float | None = None) -> list[dict]:
        """Every sample's prediction (image space), as the ``Evaluator``
        hands them to a metric; at ``temperature`` if given.

        Raises:
            TypeError: a temperature for a codec without ``score_temperature``
        """
        model = self.model
        decoder = model.head.decoder
        if temperature is not None and not hasattr(decoder, 'score_temperature'):
            raise TypeError(
                f'{type(decoder).__name__} has no score_temperature: only the randomized '
                'rounding codecs calibrate their scores'
            )
        keep = getattr(decoder, 'score_temperature', None)
        if temperature is not None:
            decoder.score_temperature = temperature
        out = []
        try:
            with torch.no_grad():
                for feats, samples in self.batches:
                    preds = model.head.predict(feats, samples, test_cfg=model.test_cfg)
                    samples = model.add_pred_to_datasample(preds, None, samples)
                    out += [s.to_dict() for s in samples]
        finally:
            if temperature is not None:
                decoder.score_temperature = keep
        return out


def calibrate(predictions: CachedPredictions, metric: FaceLandmarkMetric) -> dict:
    """Fit the score temperature of a model on its validation predictions.

    Returns:
        dict: ``temperature``, and ``ECE`` before (``T = 1``) and after
    """

    def results(temperature: float) -> list:
        metric.results = []
        metric.process([], predictions.data_samples(temperature))
        return metric.results

    base = results(1.0)
    errors, mask = metric.keypoint_errors(base)
    correct = errors[mask] < metric.calibration_threshold

    def scores_at(temperature: float) -> np.ndarray:
        return np.concatenate([r['scores'] for r in results(temperature)])[mask]

    temperature = fit_temperature(scores_at, correct)
    return dict(
        temperature=temperature,
        ece_before=expected_calibration_error(scores_at(1.0), correct, metric.num_bins),
        ece_after=expected_calibration_error(scores_at(temperature), correct, metric.num_bins),
        keypoints=int(correct.size),
    )
