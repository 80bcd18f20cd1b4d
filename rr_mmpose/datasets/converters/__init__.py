"""Converters from each face dataset's original files to MMPose's layout
(``python -m rr_mmpose.datasets.converters.<wflw|lapa|face300w|face300wlp>``;
loaded on first use, so that each runs once)."""

from rr_mmpose.utils.lazy import lazy_exports

EXPORTS = {
    'ConversionError': 'common',
    'convert_300w': 'face300w',
    'read_pts': 'face300w',
    'convert_300wlp': 'face300wlp',
    'read_mat_landmarks': 'face300wlp',
    'read_t7_landmarks': 'face300wlp',
    'convert_lapa': 'lapa',
    'read_landmark_file': 'lapa',
    'convert_wflw': 'wflw',
    'parse_wflw_list': 'wflw',
}
__all__ = sorted(EXPORTS)
__getattr__ = lazy_exports(__name__, EXPORTS)
