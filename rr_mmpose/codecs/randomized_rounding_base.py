"""What both randomized rounding codecs share: their common arguments and
the checks of the keypoints they encode."""

from __future__ import annotations

import numpy as np
from mmpose.codecs.base import BaseKeypointCodec
from numpy.typing import ArrayLike

from .score_calibration import CalibratedScores
from .utils import UniformSource, as_real_array, as_size, check_target_mode


class RandomizedRoundingCodec(CalibratedScores, BaseKeypointCodec):
    """Base of :class:`RandomizedRoundingHeatmap` and
    :class:`RandomizedRoundingSimCC`: the input size, the target mode, the
    source of the rounding's randomness and the score calibration, checked
    once; and :meth:`keypoint_arrays`, the checks of ``encode``'s input.

    Args:
        input_size (tuple): Image size in [w, h], two positive integers
        target_mode (str): ``'random'`` (one randomized rounding draw per
            call, for training) or ``'expected'`` (its expectation)
        seed (int, optional): Seed of a private generator; ``None`` draws
            from numpy's global one, which MMEngine seeds per worker
        score_temperature (float), score_bias (float): ``T`` and ``b`` of
            the scores ``sigmoid(logit(mass) / T + b)``. The defaults ``(1,
            0)`` keep the model's probability; ``python -m
            rr_mmpose.tools.calibrate`` fits them
            (:mod:`~rr_mmpose.codecs.score_calibration`). Coordinates never
            depend on them
    """

    def __init__(
        self,
        input_size: tuple[int, int],
        target_mode: str = 'random',
        seed: int | None = None,
        score_temperature: float = 1.0,
        score_bias: float = 0.0,
    ) -> None:
        super().__init__()
        self.input_size = as_size(input_size, 'input_size')
        self.target_mode = check_target_mode(target_mode)
        self.set_score_calibration(score_temperature, score_bias)
        self.seed = seed
        self._uniform = UniformSource(seed)

    def keypoint_arrays(
        self,
        keypoints: ArrayLike,
        keypoints_visible: ArrayLike | None,
        instances: int | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """``encode``'s input as float64 arrays: keypoints (N, K, 2) and
        visibilities (N, K) (all ones when ``keypoints_visible`` is None).

        Args:
            instances: The one number of instances the codec takes (None:
                any)

        Raises:
            TypeError: a non-numeric or complex array
            ValueError: arrays of other shapes, another number of
                instances, or a visible keypoint with a NaN or infinite
                coordinate (an invisible one is only dropped)
        """
        keypoints = as_real_array(keypoints, 'keypoints')
        n = 'N' if instances is None else str(instances)
        if keypoints.ndim != 3 or keypoints.shape[-1] != 2:
            raise ValueError(f'keypoints must have shape ({n}, K, 2), got {keypoints.shape}')
        if instances is not None and keypoints.shape[0] != instances:
            raise ValueError(
                f'{type(self).__name__} encodes one instance at a time (top-down), '
                f'got {keypoints.shape[0]} instances'
            )
        shape = keypoints.shape[:2]
        if keypoints_visible is None:
            keypoints_visible = np.ones(shape, dtype=np.float32)
        visible = as_real_array(keypoints_visible, 'keypoints_visible')
        if visible.shape != shape:
            raise ValueError(
                f'keypoints_visible must have shape {shape} ({n}, K) to match keypoints '
                f'{keypoints.shape}, got {visible.shape}'
            )
        nonfinite = (visible > 0) & ~np.isfinite(keypoints).all(axis=-1)
        if nonfinite.any():
            bad = np.flatnonzero(nonfinite.any(axis=0)).tolist()
            raise ValueError(f'visible keypoints {bad} have NaN or infinite coordinates')
        return keypoints, visible

    @staticmethod
    def active_points(
        points: np.ndarray, keypoints_visible: np.ndarray, last: ArrayLike
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Which keypoints get a target: visible ones whose position
        ``points`` (..., 2), in target cells or bins, lies in ``[0, last]``
        on both axes. Returns the mask (...), the weights (...) (float32,
        zero where inactive) and ``points`` with inactive ones set to 0."""
        with np.errstate(invalid='ignore'):
            # Comparisons with NaN are False, so invisible NaN points drop out.
            inside = ((points >= 0) & (points <= last)).all(axis=-1)
        active = (keypoints_visible > 0) & inside
        weights = np.where(active, keypoints_visible, 0).astype(np.float32)
        return active, weights, np.where(active[..., None], points, 0.0)
