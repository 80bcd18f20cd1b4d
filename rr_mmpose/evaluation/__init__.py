"""Evaluation metrics; importing registers ``FaceLandmarkMetric`` in MMPose's ``METRICS``."""

from .face_landmark_metric import FaceLandmarkMetric, auroc, expected_calibration_error

__all__ = ['FaceLandmarkMetric', 'auroc', 'expected_calibration_error']
