"""Deployment: ONNX export with the decoding in the graph, INT8
quantization (``python -m rr_mmpose.deployment.onnx_export``), and a
runtime without torch (:mod:`rr_mmpose.deployment.runtime`, a file that
works on its own: :func:`runtime_path`).

Names load on first use, so that ``python -m`` runs the export module once
(importing it here first makes runpy warn).
"""

from pathlib import Path

from rr_mmpose.utils.lazy import lazy_exports

EXPORTS = {
    'DecodedPoseModel': 'onnx_export',
    'export_graph': 'onnx_export',
    'export_onnx': 'onnx_export',
    'quantize_int8': 'int8',
    'quantization_crops': 'int8',
    'LandmarkRuntime': 'runtime',
    'cpu_session': 'runtime',
}
__all__ = [*EXPORTS, 'runtime_path']


def runtime_path() -> Path:
    """The file of :mod:`rr_mmpose.deployment.runtime`: it imports only
    numpy, OpenCV and onnxruntime, so it can be copied next to a script on
    a machine without torch or MMPose, or loaded from this path."""
    return Path(__file__).resolve().with_name('runtime.py')


__getattr__ = lazy_exports(__name__, EXPORTS)
