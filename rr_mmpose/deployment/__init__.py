from .onnx_export import DecodedPoseModel, export_onnx

__all__ = ['DecodedPoseModel', 'export_onnx']
