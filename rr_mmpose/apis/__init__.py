from .face_boxes import FixedFaceBoxes, HaarFaceDetector, SequenceFaceBoxes, use_face_boxes
from .landmark_filters import (
    LANDMARK_FILTERS,
    OneEuroFilter,
    build_landmark_filter,
    use_landmark_filter,
)

__all__ = [
    'LANDMARK_FILTERS',
    'FixedFaceBoxes',
    'HaarFaceDetector',
    'OneEuroFilter',
    'SequenceFaceBoxes',
    'build_landmark_filter',
    'use_face_boxes',
    'use_landmark_filter',
]
