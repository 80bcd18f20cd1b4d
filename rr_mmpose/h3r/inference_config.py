"""H3R's inference as a whole MMPose inference config: its crop, normalisation
and decoding, matching H3R's pipeline as rebuilt from its source
(``rr_mmpose.testing.h3r_reference``; see :class:`~rr_mmpose.h3r.H3RCropResize`)."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
from mmengine.config import Config

from .data_preprocessor import IMAGENET_MEAN, IMAGENET_STD

_CROP_STEPS = ('GetBBoxCenterScale', 'TopdownAffine')


def _bare(name: str) -> str:
    return name.split('.')[-1]


def h3r_test_pipeline(pipeline: list[dict], scale: float = 1.25) -> list[dict]:
    """``pipeline`` with ``GetBBoxCenterScale`` + ``TopdownAffine`` replaced
    by ``H3RCropResize`` at the same input size."""
    affine = [step for step in pipeline if _bare(step['type']) == 'TopdownAffine']
    if len(affine) != 1:
        raise ValueError(
            f'expected one TopdownAffine in the test pipeline, found {len(affine)}: '
            f'{[step["type"] for step in pipeline]}'
        )
    out = []
    for step in pipeline:
        name = _bare(step['type'])
        if name == 'TopdownAffine':
            out.append(
                dict(type='H3RCropResize', input_size=tuple(step['input_size']), scale=scale)
            )
        elif name not in _CROP_STEPS:
            out.append(copy.deepcopy(step))
    return out


def _h3r_data_preprocessor(preprocessor: dict) -> dict:
    """``PoseDataPreprocessor`` settings (0-255 statistics) as
    ``H3RDataPreprocessor`` ones (0-1 statistics)."""
    if _bare(preprocessor.get('type', '')) != 'PoseDataPreprocessor':
        raise ValueError(f'expected a PoseDataPreprocessor, got {preprocessor}')
    out = {k: v for k, v in preprocessor.items() if k not in ('type', 'mean', 'std')}
    mean, std = np.asarray(preprocessor['mean']) / 255, np.asarray(preprocessor['std']) / 255
    # ImageNet's statistics as H3R writes them, not as 255 x them / 255.
    if np.allclose(mean, IMAGENET_MEAN) and np.allclose(std, IMAGENET_STD):
        mean, std = IMAGENET_MEAN, IMAGENET_STD
    return dict(type='H3RDataPreprocessor', mean=list(mean), std=list(std), **out)


def h3r_inference_config(config: str | Path | Config, scale: float = 1.25) -> Config:
    """A copy of ``config`` that runs H3R's released inference exactly:
    its crop-and-resize (``H3RCropResize``) in the val/test pipelines, its
    input normalisation (``H3RDataPreprocessor``: the same map as MMPose's,
    computed in H3R's order, so inputs match bit for bit) and its decoder
    (top-k softmax of raw keypoint logits, ``decode_scores='logits'``).
    ``scale`` is H3R's ``INPUT.SCALE`` (square side over the box's longer
    side).

    Use it with checkpoints converted from H3R's models; pass it wherever
    MMPose takes a config (``MMPoseInferencer(pose2d=cfg, ...)``,
    ``init_model(cfg, ...)``) or ``cfg.dump('h3r.py')`` it for MMPose's tools.
    """
    cfg = Config.fromfile(str(config)) if not isinstance(config, Config) else copy.deepcopy(config)
    if cfg.model.get('head', {}).get('type') != 'RandomizedRoundingHead':
        raise ValueError(
            f'{getattr(cfg, "filename", config)}: the head is not RandomizedRoundingHead'
        )
    cfg.model.head.decode_scores = 'logits'
    cfg.model.data_preprocessor = _h3r_data_preprocessor(cfg.model.data_preprocessor)
    for name in ('val_dataloader', 'test_dataloader'):
        if name in cfg and cfg[name] is not None:
            dataset = cfg[name].dataset
            dataset.pipeline = h3r_test_pipeline(dataset.pipeline, scale)
    if 'val_pipeline' in cfg:
        cfg.val_pipeline = h3r_test_pipeline(cfg.val_pipeline, scale)
    return cfg
