from .face_boxes import FixedFaceBoxes, HaarFaceDetector, use_face_boxes
from .h3r_pipeline import h3r_original_pipeline, h3r_test_pipeline

__all__ = [
    'FixedFaceBoxes',
    'HaarFaceDetector',
    'h3r_original_pipeline',
    'h3r_test_pipeline',
    'use_face_boxes',
]
