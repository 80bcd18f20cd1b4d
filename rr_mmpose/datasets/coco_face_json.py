"""COCO-style face landmark annotations, as MMPose's face datasets read them."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rr_mmpose.utils.atomic_write import atomic_output

# MMPose's 300W and WFLW datasets store box scales divided by 200.
PIXEL_STD = 200.0


def tight_box(keypoints: np.ndarray) -> np.ndarray:
    """P1: the tight box (x_min, y_min, x_max, y_max) of (K, 2) landmarks."""
    return np.concatenate([keypoints.min(axis=0), keypoints.max(axis=0)])


def face_annotation(
    ann_id: int,
    image_id: int,
    keypoints: np.ndarray,
    box: Sequence[float],
    visibility: np.ndarray | None = None,
) -> dict:
    """One instance in the layout of MMPose's face datasets.

    Args:
        ann_id (int): Annotation id
        image_id (int): Id of the image holding the face
        keypoints (np.ndarray): (K, 2) landmarks in image pixels, 0-based
        box (Sequence[float]): (x_min, y_min, x_max, y_max) face box
        visibility (np.ndarray, optional): (K,) COCO flags, 2 visible, 1
            labelled but occluded. Defaults to 2 for all

    Returns:
        dict: with ``bbox`` (x, y, w, h; read by ``LapaDataset``) and
        ``center``/``scale`` (box centre and ``max(w, h) / 200``; read by
        ``Face300WDataset`` and ``WFLWDataset``), so every face dataset class
        crops the same square box.
    """
    keypoints = np.asarray(keypoints, dtype=np.float64)
    if keypoints.ndim != 2 or keypoints.shape[1] != 2:
        raise ValueError(f'keypoints must have shape (K, 2), got {keypoints.shape}')
    if not np.isfinite(keypoints).all():
        raise ValueError('keypoints contain NaN or infinite values')
    x0, y0, x1, y1 = (float(v) for v in box)
    if not (np.isfinite([x0, y0, x1, y1]).all() and x1 > x0 and y1 > y0):
        raise ValueError(f'invalid face box {box}')
    w, h = x1 - x0, y1 - y0
    flags = np.full(len(keypoints), 2.0) if visibility is None else np.asarray(visibility, float)
    if flags.shape != (len(keypoints),) or not np.isin(flags, (1, 2)).all():
        raise ValueError(
            f'visibility must be {len(keypoints)} flags of 1 (occluded) or 2 (visible), '
            f'got {flags.tolist()}'
        )
    triplets = np.concatenate([keypoints, flags[:, None]], axis=1)
    return dict(
        id=int(ann_id),
        image_id=int(image_id),
        category_id=1,
        iscrowd=0,
        num_keypoints=len(keypoints),
        keypoints=[round(float(v), 4) for v in triplets.ravel()],
        bbox=[round(x0, 3), round(y0, 3), round(w, 3), round(h, 3)],
        area=round(w * h, 3),
        center=[round(x0 + w / 2, 4), round(y0 + h / 2, 4)],
        scale=round(max(w, h) / PIXEL_STD, 6),
    )


def image_record(image_id: int, file_name: str, width: int, height: int) -> dict:
    return dict(id=int(image_id), file_name=file_name, width=int(width), height=int(height))


def coco_document(images: Iterable[dict], annotations: Iterable[dict], **extra: Any) -> dict:
    return dict(
        info=dict(description='converted by rr-mmpose', **extra),
        categories=[dict(id=1, name='person', supercategory='person')],
        images=list(images),
        annotations=list(annotations),
    )


def write_json_atomic(document: dict, path: os.PathLike) -> Path:
    """Write JSON to a temporary file beside ``path`` and rename it into
    place, so a failure never leaves a half-written annotation file."""
    path = Path(path)
    with atomic_output(path) as tmp:
        tmp.write_text(json.dumps(document))
    return path
