"""rr-mmpose: heatmap regression via randomized rounding (H3R) for MMPose.

Importing the package registers, in MMPose's registries:

- ``KEYPOINT_CODECS``: ``RandomizedRoundingHeatmap``, ``RandomizedRoundingSimCC``
- ``MODELS``: ``RandomizedRoundingHead``, ``TwoClassSpatialSoftmaxCELoss``,
  ``SpatialSoftmaxCELoss``, ``PixelwiseTwoClassCELoss``, ``TruncatedMobileNetV2``,
  ``H3RDataPreprocessor``
- ``DATASETS``: ``FaceLandmarkBoxDataset``, ``FlaggedFace300WDataset``,
  ``FlaggedWFLWDataset``
- ``METRICS``: ``FaceLandmarkMetric``
- ``TRANSFORMS``: ``H3RCropResize``, ``SeededAlbumentation``

Everything for H3R's released models is in :mod:`rr_mmpose.h3r`.

Configs load it with ``custom_imports = dict(imports=['rr_mmpose'])``;
``rr_mmpose.config_path(name)`` gives the path of a shipped config.
Importing it also silences, by message, the upstream warnings listed in
:mod:`rr_mmpose.upstream_noise`.
"""

from .upstream_noise import silence_upstream_logs, silence_upstream_warnings

silence_upstream_warnings()  # before mmengine is imported

from . import codecs, datasets, evaluation, h3r, models  # noqa: E402, F401  (registrations)
from .utils.checkpoint import allow_mmengine_checkpoints  # noqa: E402
from .utils.config_path import config_path  # noqa: E402
from .version import __version__  # noqa: E402

allow_mmengine_checkpoints()
silence_upstream_logs()

__all__ = ['__version__', 'allow_mmengine_checkpoints', 'config_path']
