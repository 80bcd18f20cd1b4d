from .base import RandomizedRoundingLoss
from .pixelwise_two_class_ce_loss import PixelwiseTwoClassCELoss
from .spatial_softmax_ce_loss import SpatialSoftmaxCELoss

__all__ = ['PixelwiseTwoClassCELoss', 'RandomizedRoundingLoss', 'SpatialSoftmaxCELoss']
