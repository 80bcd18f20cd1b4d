"""Deployment: ONNX export with the decoding in the graph
(``python -m rr_mmpose.deployment.onnx_export``).

Names load on first use, so that ``python -m`` runs the export module once
(importing it here first makes runpy warn).
"""

from importlib import import_module

__all__ = ['DecodedPoseModel', 'export_graph', 'export_onnx']


def __getattr__(name: str):
    if name in __all__:
        return getattr(import_module('.onnx_export', __name__), name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
