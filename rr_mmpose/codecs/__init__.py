from .randomized_rounding_heatmap import RandomizedRoundingHeatmap
from .randomized_rounding_simcc import RandomizedRoundingSimCC
from .topk_decoding import topk_soft_argmax

__all__ = ['RandomizedRoundingHeatmap', 'RandomizedRoundingSimCC', 'topk_soft_argmax']
