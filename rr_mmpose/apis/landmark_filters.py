"""Steadier landmarks on video: a One-Euro filter for MMPose's inferencer.

The One-Euro filter (Casiez, Roussel and Vogel, "1 Euro Filter: A Simple
Speed-based Low-pass Filter for Noisy Input in Interactive Systems",
CHI 2012) is a first-order low-pass filter whose cutoff frequency rises
with the signal's speed: a slow landmark is smoothed hard (little jitter),
a fast one hardly at all (little lag). Written here from the paper's
description of the algorithm.

``use_landmark_filter`` makes an ``MMPoseInferencer`` (or a
``Pose2DInferencer``) filter each frame's landmarks in order, inside
MMPose's own video path, so the drawn video (``vis_out_dir``), the returned
predictions and ``pred_out_dir`` all hold the filtered landmarks::

    inferencer = MMPoseInferencer(pose2d=CONFIG, pose2d_weights=CKPT,
                                  det_model='whole_image')
    use_face_boxes(inferencer, HaarFaceDetector())
    use_landmark_filter(inferencer, dict(type='OneEuroFilter', min_cutoff=1, beta=0.05))
    for result in inferencer('video.mp4', vis_out_dir='vis'):
        ...
"""

from __future__ import annotations

import copy
import functools
import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
from mmengine.registry import Registry
from numpy.typing import ArrayLike

if TYPE_CHECKING:
    from mmpose.apis.inferencers import MMPoseInferencer, Pose2DInferencer


def _build_landmark_filter(
    cfg: Mapping, registry: Registry, default_args: Mapping | None = None
) -> Any:
    """Build from ``dict(type=NAME, **kwargs)`` without MMEngine's scope
    switch: this registry has no parent, and under MMPose's default scope
    ``Registry.build`` would warn that it cannot find an ``mmpose`` child."""
    if not isinstance(cfg, Mapping) or 'type' not in cfg:
        raise ValueError(f'a landmark filter config must be a dict with a "type", got {cfg!r}')
    kwargs = {**(default_args or {}), **cfg}
    kind = kwargs.pop('type')
    cls = registry.get(kind) if isinstance(kind, str) else kind
    if cls is None:
        raise KeyError(
            f'no landmark filter {kind!r} in {registry.name!r}; '
            f'registered: {sorted(registry.module_dict)}'
        )
    return cls(**kwargs)


LANDMARK_FILTERS = Registry('landmark filter', scope='rr_mmpose', build_func=_build_landmark_filter)
# The methods of a Pose2DInferencer that use_landmark_filter wraps.
_WRAPPED = ('forward', '_inputs_to_list', '_get_webcam_inputs')


def _smoothing(cutoff: np.ndarray | float, period: float) -> np.ndarray | float:
    """The paper's smoothing factor of a first-order low-pass filter,
    ``alpha = 1 / (1 + tau / period)`` with ``tau = 1 / (2 pi cutoff)``."""
    tau = 1.0 / (2 * math.pi * np.asarray(cutoff, dtype=np.float64))
    return 1.0 / (1.0 + tau / period)


@LANDMARK_FILTERS.register_module()
class OneEuroFilter:
    """One-Euro filter for a set of landmarks, (K, 2), one frame per call.

    For each frame ``x`` (K, D) at time ``t``, with ``T = t - t_prev`` the
    time since the previous frame and ``alpha(f) = 1 / (1 + 1 / (2 pi f T))``:

    1. the speed: ``v = (x - y_prev) / T`` (from the previous *filtered*
       frame ``y_prev``), low-pass filtered at the fixed cutoff ``d_cutoff``:
       ``w = alpha(d_cutoff) * v + (1 - alpha(d_cutoff)) * w_prev``;
    2. the cutoff of each landmark rises with its filtered speed:
       ``f_k = min_cutoff + beta * |w_k|``;
    3. the frame, low-pass filtered at that cutoff:
       ``y_k = alpha(f_k) * x_k + (1 - alpha(f_k)) * y_prev_k``.

    The first frame (and the first after :meth:`reset`) passes unchanged,
    with ``w = 0``. ``|w_k|`` is the Euclidean norm of landmark ``k``'s
    velocity, so a landmark is smoothed the same whichever way it moves
    (the paper filters one scalar signal; each landmark here is one point).

    Args:
        min_cutoff (float): Cutoff at standstill, in Hz: lower is steadier
            and laggier. ``inf`` passes every frame unchanged
        beta (float): Cutoff rise per unit of speed, in Hz per pixel per
            second: higher lags less on fast moves
        d_cutoff (float): Cutoff of the speed's own low-pass filter, in Hz
        fps (float): Frame rate assumed when a call gives no ``timestamp``
    """

    def __init__(
        self, min_cutoff: float = 1.0, beta: float = 0.0, d_cutoff: float = 1.0, fps: float = 30
    ) -> None:
        for name, value in (('min_cutoff', min_cutoff), ('d_cutoff', d_cutoff)):
            if not value > 0:  # also rejects nan
                raise ValueError(f'{name} must be a positive frequency in Hz, got {value}')
        if not (math.isfinite(beta) and beta >= 0):
            raise ValueError(f'beta must be a non-negative finite number, got {beta}')
        if not (math.isfinite(fps) and fps > 0):
            raise ValueError(f'fps must be a positive finite frame rate, got {fps}')
        self.min_cutoff = float(min_cutoff)
        self.beta = float(beta)
        self.d_cutoff = float(d_cutoff)
        self.fps = float(fps)
        self.reset()

    def reset(self) -> None:
        """Forget the past: the next frame passes unchanged."""
        self._filtered: np.ndarray | None = None  # (K, D) the previous output
        self._speed: np.ndarray | None = None  # (K, D) the filtered velocity
        self._time: float | None = None

    def __call__(self, keypoints: ArrayLike, timestamp: float | None = None) -> np.ndarray:
        """Filter one frame.

        Args:
            keypoints: (K, 2) this frame's landmarks (any (K, D))
            timestamp (float, optional): this frame's time in seconds,
                increasing from call to call. Defaults to the previous
                frame's plus ``1 / fps`` (0 for the first)

        Returns:
            np.ndarray: (K, D) float64 filtered landmarks (a new array)
        """
        x = np.array(keypoints, dtype=np.float64)
        if x.ndim != 2:
            raise ValueError(f'keypoints must be (K, 2), got shape {x.shape}')
        if not np.isfinite(x).all():
            raise ValueError('keypoints must be finite')
        if timestamp is None:
            timestamp = 0.0 if self._time is None else self._time + 1.0 / self.fps
        elif not math.isfinite(timestamp):
            raise ValueError(f'timestamp must be finite, got {timestamp}')
        if self._filtered is None:
            self._filtered, self._speed, self._time = x, np.zeros_like(x), float(timestamp)
            return x.copy()
        if x.shape != self._filtered.shape:
            raise ValueError(
                f'keypoints changed shape from {self._filtered.shape} to {x.shape}; '
                'reset() the filter before a new face'
            )
        period = float(timestamp) - self._time
        if not period > 0:
            raise ValueError(
                f'timestamps must increase, got {timestamp} after {self._time} seconds'
            )
        velocity = (x - self._filtered) / period
        a = _smoothing(self.d_cutoff, period)
        self._speed = a * velocity + (1 - a) * self._speed
        cutoff = self.min_cutoff + self.beta * np.linalg.norm(self._speed, axis=-1)
        a = _smoothing(cutoff, period)[:, None]
        self._filtered = a * x + (1 - a) * self._filtered
        self._time = float(timestamp)
        return self._filtered.copy()

    def __repr__(self) -> str:
        return (
            f'{type(self).__name__}(min_cutoff={self.min_cutoff}, beta={self.beta}, '
            f'd_cutoff={self.d_cutoff}, fps={self.fps})'
        )


def build_landmark_filter(
    filter_or_cfg: Callable[..., np.ndarray] | Mapping,
) -> Callable[..., np.ndarray]:
    """A landmark filter from a config dict (``dict(type='OneEuroFilter', ...)``,
    any type in :data:`LANDMARK_FILTERS`), or the filter itself: any object
    with ``__call__(keypoints, timestamp=None)`` and ``reset()``."""
    if isinstance(filter_or_cfg, Mapping):
        return LANDMARK_FILTERS.build(filter_or_cfg)
    if callable(filter_or_cfg) and callable(getattr(filter_or_cfg, 'reset', None)):
        return filter_or_cfg
    raise TypeError(
        'expected a landmark filter (callable, with reset()) or its config dict, '
        f'got {type(filter_or_cfg).__name__}'
    )


class _FilterHook:
    """What ``use_landmark_filter`` adds to a ``Pose2DInferencer``: a copy
    of the filter per instance index, created as instances appear."""

    def __init__(
        self, pose2d: Pose2DInferencer, prototype: Callable[..., np.ndarray], max_instances: int
    ) -> None:
        self.pose2d = pose2d
        self.prototype = prototype
        self.max_instances = max_instances
        self.reset()

    def reset(self) -> None:
        self.filters: list = []
        self.frame = 0

    def _filter(self, index: int) -> Callable[..., np.ndarray]:
        while len(self.filters) <= index:
            new = copy.deepcopy(self.prototype)
            new.reset()
            self.filters.append(new)
        return self.filters[index]

    def _timestamp(self) -> float | None:
        """The frame's time from the video's frame rate, when MMPose read one."""
        info = getattr(self.pose2d, 'video_info', None) or {}
        fps = info.get('fps') or 0
        if getattr(self.pose2d, '_video_input', False) and fps > 0:
            return self.frame / fps
        return None

    def __call__(self, data_samples: list) -> list:
        """Filter, in place, the keypoints of one frame's data samples
        (one merged sample, or one per instance with ``merge_results=False``)."""
        timestamp = self._timestamp()
        index = 0
        for sample in data_samples:
            instances = sample.get('pred_instances')
            if instances is None or 'keypoints' not in instances or len(instances) == 0:
                continue
            keypoints = np.array(instances.keypoints, copy=True)  # (N, K, 2)
            count = len(keypoints)
            for i in range(count):
                if index + i < self.max_instances:
                    keypoints[i] = self._filter(index + i)(keypoints[i], timestamp)
            instances.keypoints = keypoints
            index += count
        self.frame += 1
        return data_samples


def use_landmark_filter(
    inferencer: MMPoseInferencer | Pose2DInferencer,
    filter_or_cfg: Callable[..., np.ndarray] | Mapping | None,
    max_instances: int = 1,
) -> None:
    """Make an ``MMPoseInferencer`` (or ``Pose2DInferencer``) filter each
    frame's landmarks, in order, with ``filter_or_cfg``.

    Where it hooks in: MMPose 1.3.2's ``__call__`` (both inferencers') runs,
    for each frame of a video (``mmcv.VideoReader``), a webcam or a list of
    images, ``forward`` (the model's ``test_step``, the instances merged
    into one ``PoseDataSample``), then ``visualize`` (which draws and, with
    ``vis_out_dir``, writes the video) and ``postprocess`` (the returned
    predictions, ``pred_out_dir``). This wraps the ``Pose2DInferencer``'s
    ``forward``: the filter changes ``pred_instances.keypoints`` of the
    samples it returns, before they are drawn or returned, so everything
    downstream sees the filtered landmarks. Scores, boxes and everything
    else are left as they are. The filters restart (:meth:`reset`) at each
    new input: the wrapped ``_inputs_to_list`` and ``_get_webcam_inputs``,
    which each call runs first. All the frames of one call are one
    sequence, a list of images or a folder too.

    Instances are told apart by their order in each frame (the detector's
    order, after MMPose's NMS and thresholds), not tracked: instance ``i``
    gets the ``i``-th copy of the filter. Frame ``n`` of a video is given
    the time ``n / fps`` with MMPose's reading of the video's frame rate
    (other inputs: none, the filter's own ``fps`` applies).

    Args:
        inferencer: an ``MMPoseInferencer`` for 2D poses, or a ``Pose2DInferencer``
        filter_or_cfg: a filter (``__call__(keypoints, timestamp=None)`` and
            ``reset()``; copied, never changed itself), a config dict for
            :data:`LANDMARK_FILTERS`, or None to remove an earlier filter
        max_instances (int): how many instances of each frame to filter, in
            order; the others pass unchanged. Defaults to 1, the first face
    """
    from mmpose.apis.inferencers import Pose2DInferencer

    pose2d = getattr(inferencer, 'inferencer', inferencer)
    if not isinstance(pose2d, Pose2DInferencer):
        raise TypeError(
            'use_landmark_filter needs an MMPoseInferencer for 2D poses or a '
            f'Pose2DInferencer, got {type(pose2d).__name__}'
        )
    if isinstance(max_instances, bool) or int(max_instances) != max_instances or max_instances < 1:
        raise ValueError(f'max_instances must be a positive integer, got {max_instances}')
    for name in _WRAPPED:  # remove an earlier filter
        wrapper = vars(pose2d).get(name)
        if getattr(wrapper, 'landmark_filter', None) is not None:
            if wrapper.replaced_an_attribute:
                setattr(pose2d, name, wrapper.__wrapped__)
            else:
                delattr(pose2d, name)
    if filter_or_cfg is None:
        return
    hook = _FilterHook(pose2d, build_landmark_filter(filter_or_cfg), int(max_instances))

    def filtered(original: Callable[..., list]) -> Callable[..., list]:
        @functools.wraps(original)
        def forward(*args: Any, **kwargs: Any) -> list:
            return hook(original(*args, **kwargs))

        return forward

    def restarting(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def start(*args: Any, **kwargs: Any) -> Any:
            hook.reset()
            return original(*args, **kwargs)

        return start

    for name, wrap in zip(_WRAPPED, (filtered, restarting, restarting)):
        wrapper = wrap(getattr(pose2d, name))
        wrapper.landmark_filter = hook
        wrapper.replaced_an_attribute = name in vars(pose2d)
        setattr(pose2d, name, wrapper)
