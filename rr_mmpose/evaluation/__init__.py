"""Evaluation: ``FaceLandmarkMetric`` (registered in MMPose's ``METRICS``),
score calibration, and the video stability figures."""

from .calibration import (
    CachedPredictions,
    calibrate,
    fit_score_calibration,
    predicted_samples,
)
from .face_landmark_metric import FaceLandmarkMetric, auroc, expected_calibration_error

__all__ = [
    'CachedPredictions',
    'FaceLandmarkMetric',
    'auroc',
    'calibrate',
    'expected_calibration_error',
    'fit_score_calibration',
    'predicted_samples',
]
