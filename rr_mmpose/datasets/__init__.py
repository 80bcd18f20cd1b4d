from .coco_face_json import face_annotation, tight_box, write_json_atomic
from .face_landmark_box_dataset import FaceLandmarkBoxDataset
from .flagged_face_datasets import FlaggedFace300WDataset, FlaggedWFLWDataset
from .hard_cases import HardCases
from .synthetic_faces import generate_dataset, render_face

__all__ = [
    'FaceLandmarkBoxDataset',
    'FlaggedFace300WDataset',
    'FlaggedWFLWDataset',
    'HardCases',
    'face_annotation',
    'generate_dataset',
    'render_face',
    'tight_box',
    'write_json_atomic',
]
