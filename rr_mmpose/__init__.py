"""rr-mmpose: heatmap regression via randomized rounding (H3R) for MMPose."""

from .version import __version__

__all__ = ['__version__']
