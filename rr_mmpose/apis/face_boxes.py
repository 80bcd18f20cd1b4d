"""Face boxes for ``MMPoseInferencer`` without downloading a detector.

MMPose 1.3.2's top-down inferencer ignores a ``bboxes=`` argument (it is
overwritten before use) and its default face detector is a YOLOX checkpoint
fetched at run time. These providers stand in for that detector, so MMPose's
own inferencer code (thresholds, NMS, drawing) runs unchanged::

    inferencer = MMPoseInferencer(pose2d=CONFIG, pose2d_weights=CKPT,
                                  det_model='whole_image')
    use_face_boxes(inferencer, FixedFaceBoxes([[x0, y0, x1, y1]]))  # or
    use_face_boxes(inferencer, HaarFaceDetector())
    results = list(inferencer('photo.jpg', out_dir='vis'))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import cv2
import mmcv
import numpy as np
import torch
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData

if TYPE_CHECKING:
    from mmpose.apis.inferencers import MMPoseInferencer, Pose2DInferencer


def _predictions(boxes: np.ndarray, scores: np.ndarray) -> dict:
    instances = InstanceData(
        bboxes=torch.as_tensor(boxes, dtype=torch.float32).reshape(-1, 4),
        scores=torch.as_tensor(scores, dtype=torch.float32).reshape(-1),
        labels=torch.zeros(len(boxes), dtype=torch.long),
    )
    return dict(predictions=[DetDataSample(pred_instances=instances)])


def _bad_boxes(boxes: np.ndarray) -> np.ndarray:
    """Which (..., 4) boxes are not finite (x_min, y_min, x_max, y_max) with
    positive width and height; shape ``boxes.shape[:-1]``."""
    return ~np.isfinite(boxes).all(-1) | (boxes[..., 2:] <= boxes[..., :2]).any(-1)


class FixedFaceBoxes:
    """Boxes given by the user, (x_min, y_min, x_max, y_max) in pixels,
    used for every image the inferencer sees."""

    def __init__(self, boxes: Sequence[Sequence[float]]) -> None:
        boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
        if _bad_boxes(boxes).any():
            raise ValueError(f'boxes must be finite (x_min, y_min, x_max, y_max), got {boxes}')
        self.boxes = boxes

    def __call__(self, image: str | np.ndarray, **kwargs: Any) -> dict:
        return _predictions(self.boxes, np.ones(len(self.boxes)))


class SequenceFaceBoxes:
    """One box per frame, in order, for a video: the ``i``-th call returns
    frame ``i``'s box (x_min, y_min, x_max, y_max) in pixels.

    ``boxes`` is (T, 4), one face per frame, or (T, N, 4), N faces per
    frame. Running out of boxes raises ``IndexError`` (not ``ValueError``:
    MMPose 1.3.2 catches a detector's ``ValueError`` and calls it again, as
    for an old mmdet). Call :meth:`reset` before running another video.
    """

    def __init__(self, boxes: Sequence[Sequence[float]]) -> None:
        boxes = np.asarray(boxes, dtype=np.float32)
        if boxes.ndim == 2:
            boxes = boxes[:, None]
        if boxes.ndim != 3 or boxes.shape[-1] != 4 or not boxes.size:
            raise ValueError(f'boxes must be (T, 4) or (T, N, 4) with T, N > 0, got {boxes.shape}')
        bad = _bad_boxes(boxes)  # (T, N)
        if bad.any():
            raise ValueError(
                'boxes must be finite (x_min, y_min, x_max, y_max); those of frames '
                f'{np.flatnonzero(bad.any(1)).tolist()} are not'
            )
        self.boxes = boxes
        self.index = 0

    def __len__(self) -> int:
        return len(self.boxes)

    def reset(self) -> None:
        """Start again from the first frame's box."""
        self.index = 0

    def __call__(self, image: str | np.ndarray, **kwargs: Any) -> dict:
        if self.index >= len(self.boxes):
            raise IndexError(
                f'SequenceFaceBoxes holds boxes for {len(self.boxes)} frames, and frame '
                f'{self.index} (0-based) asked for one: the video is longer than the boxes '
                '(or reset() was not called before a new video)'
            )
        boxes = self.boxes[self.index]
        self.index += 1
        return _predictions(boxes, np.ones(len(boxes)))


class HaarFaceDetector:
    """OpenCV's frontal-face Haar cascade (shipped inside the opencv wheel).

    A fast, offline, rough detector: good for frontal faces in photos. The
    box is enlarged by ``scale`` around its centre, since the cascade's box
    is tighter than a landmark box.
    """

    def __init__(self, scale: float = 1.1, min_size: int = 40) -> None:
        path = cv2.data.haarcascades + 'haarcascade_frontalface_default.xml'
        self.cascade = cv2.CascadeClassifier(path)
        if self.cascade.empty():
            raise FileNotFoundError(f'OpenCV Haar cascade not found at {path}')
        self.scale = scale
        self.min_size = min_size

    def detect(self, image: str | np.ndarray) -> np.ndarray:
        image = mmcv.imread(image) if isinstance(image, str) else image
        gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        found = self.cascade.detectMultiScale(
            gray, scaleFactor=1.1, minNeighbors=5, minSize=(self.min_size,) * 2
        )
        boxes = np.asarray(found, dtype=np.float32).reshape(-1, 4)
        centre = boxes[:, :2] + boxes[:, 2:] / 2
        half = boxes[:, 2:] * self.scale / 2
        return np.concatenate([centre - half, centre + half], axis=1)

    def __call__(self, image: str | np.ndarray, **kwargs: Any) -> dict:
        boxes = self.detect(image)
        return _predictions(boxes, np.ones(len(boxes)))


def use_face_boxes(
    inferencer: MMPoseInferencer | Pose2DInferencer, provider: Callable[..., dict]
) -> None:
    """Make an ``MMPoseInferencer`` (or ``Pose2DInferencer``) take its boxes
    from ``provider`` (label 0, score 1)."""
    pose2d = getattr(inferencer, 'inferencer', inferencer)
    pose2d.detector = provider
    pose2d.det_cat_ids = (0,)
