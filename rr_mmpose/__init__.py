"""rr-mmpose: heatmap regression via randomized rounding (H3R) for MMPose.

Importing the package registers, in MMPose's registries:

- ``KEYPOINT_CODECS``: ``RandomizedRoundingHeatmap``
- ``MODELS``: ``RandomizedRoundingHead``, ``TwoClassSpatialSoftmaxCELoss``,
  ``SpatialSoftmaxCELoss``, ``PixelwiseTwoClassCELoss``, ``TruncatedMobileNetV2``,
  ``H3RDataPreprocessor``
- ``DATASETS``: ``FaceLandmarkBoxDataset``
- ``TRANSFORMS``: ``H3RCropResize``

Everything for H3R's released models is in :mod:`rr_mmpose.h3r`.

Configs load it with ``custom_imports = dict(imports=['rr_mmpose'])``;
``rr_mmpose.config_path(name)`` gives the path of a shipped config.
"""

from . import codecs, datasets, h3r, models  # noqa: F401  (registration side effects)
from .utils.checkpoint import allow_mmengine_checkpoints
from .utils.config_path import config_path
from .version import __version__

allow_mmengine_checkpoints()

__all__ = ['__version__', 'allow_mmengine_checkpoints', 'config_path']
