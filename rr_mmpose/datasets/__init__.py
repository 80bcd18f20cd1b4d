from .coco_face_json import face_annotation, tight_box, write_json_atomic
from .synthetic_faces import generate_dataset, render_face
from .transforms import H3RCropResize

__all__ = [
    'H3RCropResize',
    'face_annotation',
    'generate_dataset',
    'render_face',
    'tight_box',
    'write_json_atomic',
]
