"""H3R's original inference pipeline as an MMPose config, for exact parity
with released H3R models (see :class:`~rr_mmpose.datasets.H3RCropResize`)."""

from __future__ import annotations

import copy
from pathlib import Path

from mmengine.config import Config

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


def h3r_original_pipeline(config: str | Path | Config, scale: float = 1.25) -> Config:
    """A copy of ``config`` that runs H3R's released inference exactly:
    its crop-and-resize (``H3RCropResize``) in the val/test pipelines and
    its decoder (top-k softmax of raw keypoint logits,
    ``decode_scores='logits'``).

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
    for name in ('val_dataloader', 'test_dataloader'):
        if name in cfg and cfg[name] is not None:
            dataset = cfg[name].dataset
            dataset.pipeline = h3r_test_pipeline(dataset.pipeline, scale)
    if 'val_pipeline' in cfg:
        cfg.val_pipeline = h3r_test_pipeline(cfg.val_pipeline, scale)
    return cfg
