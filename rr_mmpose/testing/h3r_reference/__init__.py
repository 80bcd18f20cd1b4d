"""H3R's released inference rebuilt from its source (``torchalign`` at H3R
commit ``rr_mmpose.h3r.published.SOURCE_COMMIT``), without MMPose and
without this package's converter: networks with H3R's module tree and
state-dict keys, its decoder, its crop / flip / inverse mapping, and random
model directories to check converted models against.
"""

from .networks import (
    BinaryHeadBlock,
    H3RHRNet,
    H3RMobileNetV2,
    H3RNetwork,
    HeatmapHead,
    build_backbone,
    h3r_decode,
)
from .pipeline import IMAGENET_MEAN, IMAGENET_STD, H3RDetector
from .weights import fit_batch_norm_statistics, write_h3r_model_dir

__all__ = [
    'IMAGENET_MEAN',
    'IMAGENET_STD',
    'BinaryHeadBlock',
    'H3RDetector',
    'H3RHRNet',
    'H3RMobileNetV2',
    'H3RNetwork',
    'HeatmapHead',
    'build_backbone',
    'fit_batch_norm_statistics',
    'h3r_decode',
    'write_h3r_model_dir',
]
