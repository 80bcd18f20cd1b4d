from .randomized_rounding_heatmap import RandomizedRoundingHeatmap
from .topk_decoding import topk_soft_argmax

__all__ = ['RandomizedRoundingHeatmap', 'topk_soft_argmax']
