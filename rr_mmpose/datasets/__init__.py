from .coco_face_json import face_annotation, tight_box, write_json_atomic
from .synthetic_faces import generate_dataset, render_face

__all__ = ['face_annotation', 'generate_dataset', 'render_face', 'tight_box', 'write_json_atomic']
