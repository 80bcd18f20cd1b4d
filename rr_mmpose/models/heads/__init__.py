from .randomized_rounding_head import RandomizedRoundingHead

__all__ = ['RandomizedRoundingHead']
