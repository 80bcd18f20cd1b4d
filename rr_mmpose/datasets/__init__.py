"""Datasets: the registered face datasets, the COCO-style writer, the
generated faces (``python -m rr_mmpose.datasets.generate_faces``) and
clips (``python -m rr_mmpose.datasets.generate_video``), and the
converters. The generators load on first use, so that each runs once."""

from rr_mmpose.utils.lazy import lazy_exports

from .coco_face_json import face_annotation, tight_box, write_json_atomic
from .face_landmark_box_dataset import FaceLandmarkBoxDataset
from .flagged_face_datasets import FlaggedFace300WDataset, FlaggedWFLWDataset
from .hard_cases import HardCases
from .transforms import SeededAlbumentation

GENERATORS = {
    'generate_dataset': 'generate_faces',
    'generated_faces': 'generate_faces',
    'render_face': 'generate_faces',
}
__all__ = [
    'FaceLandmarkBoxDataset',
    'FlaggedFace300WDataset',
    'FlaggedWFLWDataset',
    'HardCases',
    'SeededAlbumentation',
    'face_annotation',
    'generate_dataset',
    'generated_faces',
    'render_face',
    'tight_box',
    'write_json_atomic',
]
__getattr__ = lazy_exports(__name__, GENERATORS)
