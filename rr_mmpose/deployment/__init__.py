from .h3r_checkpoint import CheckpointConversionError, convert_h3r_checkpoint, convert_state_dict
from .onnx_export import DecodedPoseModel, export_onnx

__all__ = [
    'CheckpointConversionError',
    'DecodedPoseModel',
    'convert_h3r_checkpoint',
    'convert_state_dict',
    'export_onnx',
]
