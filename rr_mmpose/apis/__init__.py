from .face_boxes import FixedFaceBoxes, HaarFaceDetector, use_face_boxes

__all__ = ['FixedFaceBoxes', 'HaarFaceDetector', 'use_face_boxes']
