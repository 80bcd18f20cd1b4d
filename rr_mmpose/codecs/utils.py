"""What the randomized rounding codecs share: the rounding itself, its
source of randomness, and argument checks."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

TARGET_MODES = ('random', 'expected')


def randomized_round(points: np.ndarray, uniform: np.ndarray) -> np.ndarray:
    """Round each coordinate up with probability equal to its fractional part.

    Given ``uniform`` ~ U[0, 1), ``E[result] = points`` exactly.
    """
    low = np.floor(points)
    return (low + (uniform < points - low)).astype(np.int64)


class UniformSource:
    """Uniform draws for the rounding: a private generator when seeded,
    else numpy's global one, which MMEngine seeds per rank and worker
    through ``randomness=dict(seed=...)``."""

    def __init__(self, seed: int | None) -> None:
        self._rng = None if seed is None else np.random.default_rng(seed)

    def __call__(self, shape: tuple[int, ...]) -> np.ndarray:
        if self._rng is None:
            return np.random.random_sample(shape)
        return self._rng.random(shape)


def check_target_mode(target_mode: str) -> str:
    if target_mode not in TARGET_MODES:
        raise ValueError(f'target_mode must be one of {TARGET_MODES}, got {target_mode!r}')
    return target_mode


def as_size(size: Sequence[float], name: str) -> tuple[int, int]:
    """``(w, h)`` as two positive integers, or a ``ValueError``."""
    if len(size) != 2 or any(int(s) != s or s <= 0 for s in size):
        raise ValueError(f'{name} must be two positive integers (w, h), got {size}')
    return int(size[0]), int(size[1])


def as_real_array(value: ArrayLike, name: str) -> np.ndarray:
    """A float64 array of ``value``, or a ``TypeError`` for non-real dtypes."""
    array = np.asarray(value)
    if array.dtype.kind not in 'biuf':  # bool, signed, unsigned, float
        raise TypeError(f'{name} must be a real numeric array, got dtype {array.dtype}')
    return array.astype(np.float64, copy=False)
