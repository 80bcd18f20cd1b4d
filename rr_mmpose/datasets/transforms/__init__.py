"""Data transforms registered in MMPose's ``TRANSFORMS``."""

from .seeded_albumentation import SeededAlbumentation

__all__ = ['SeededAlbumentation']
