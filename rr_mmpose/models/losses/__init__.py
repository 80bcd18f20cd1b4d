from .base import RandomizedRoundingLoss, TwoClassLoss
from .pixelwise_two_class_ce_loss import PixelwiseTwoClassCELoss
from .spatial_softmax_ce_loss import SpatialSoftmaxCELoss
from .two_class_spatial_softmax_ce_loss import TwoClassSpatialSoftmaxCELoss

__all__ = [
    'PixelwiseTwoClassCELoss',
    'RandomizedRoundingLoss',
    'SpatialSoftmaxCELoss',
    'TwoClassLoss',
    'TwoClassSpatialSoftmaxCELoss',
]
