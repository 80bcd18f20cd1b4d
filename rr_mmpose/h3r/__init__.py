"""Compatibility with H3R's released models and code, in one place.

- :mod:`~rr_mmpose.h3r.h3r_config`: ``torchalign``'s default configuration
  and how a released ``config.yaml`` merges over it;
- :mod:`~rr_mmpose.h3r.checkpoint`: the checkpoint converter
  (``python -m rr_mmpose.h3r.convert``);
- :mod:`~rr_mmpose.h3r.crop_resize`: ``H3RCropResize``, H3R's crop as an
  MMPose transform (registered on ``import rr_mmpose``);
- :mod:`~rr_mmpose.h3r.inference_config`: ``h3r_inference_config``, a
  config turned into H3R's exact inference (crop and decoder);
- :mod:`~rr_mmpose.h3r.published`: the figures H3R published for its
  released models (parameters, FLOPs, NME).

H3R's inference rebuilt from its source, the other side of the parity
checks, is test code: :mod:`rr_mmpose.testing.h3r_reference`.
"""

from rr_mmpose.utils.lazy import lazy_exports

from .crop_resize import H3RCropResize, h3r_square
from .data_preprocessor import H3RDataPreprocessor
from .h3r_config import H3R_DEFAULTS, H3RConfigError, load_h3r_config, merge_h3r_config
from .inference_config import h3r_inference_config, h3r_test_pipeline

__all__ = [
    'H3R_DEFAULTS',
    'CheckpointConversionError',
    'H3RConfigError',
    'H3RCropResize',
    'H3RDataPreprocessor',
    'convert_h3r_checkpoint',
    'convert_state_dict',
    'h3r_inference_config',
    'h3r_square',
    'h3r_state_dict',
    'h3r_test_pipeline',
    'load_h3r_config',
    'matching_config',
    'merge_h3r_config',
]

# The converter loads on first use only, so that importing the reference
# (``rr_mmpose.testing.h3r_reference``) never runs the code it checks.
_CONVERTER = (
    'CheckpointConversionError',
    'checkpoint_config',
    'convert_h3r_checkpoint',
    'convert_state_dict',
    'h3r_state_dict',
    'matching_config',
)
__getattr__ = lazy_exports(__name__, dict.fromkeys(_CONVERTER, 'checkpoint'))
