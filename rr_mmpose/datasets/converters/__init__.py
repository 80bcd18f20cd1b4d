"""Converters from each face dataset's original files to MMPose's layout."""

from .common import ConversionError
from .face300w import convert_300w, read_pts
from .face300wlp import convert_300wlp, read_mat_landmarks, read_t7_landmarks
from .lapa import convert_lapa, read_landmark_file
from .wflw import convert_wflw, parse_wflw_list

__all__ = [
    'ConversionError',
    'convert_300w',
    'convert_300wlp',
    'convert_lapa',
    'convert_wflw',
    'parse_wflw_list',
    'read_landmark_file',
    'read_mat_landmarks',
    'read_pts',
    'read_t7_landmarks',
]
