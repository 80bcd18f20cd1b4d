"""Every shipped config builds, trains a step and predicts on CPU: the
heatmap configs (``td-*.py``, RandomizedRoundingHeatmap) and the RTMPose
configs (``rtmpose-*.py``, RandomizedRoundingSimCC), flip test on."""

from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import HOOKS
from mmpose.datasets.datasets.utils import parse_pose_metainfo
from mmpose.registry import DATASETS, MODELS
from mmpose.utils import register_all_modules

from rr_mmpose.datasets import render_face

from ..helpers import CONFIGS

ALL_CONFIGS = sorted(CONFIGS.rglob('td-*.py')) + sorted(CONFIGS.rglob('rtmpose-*.py'))
RR_CODECS = ('RandomizedRoundingHeatmap', 'RandomizedRoundingSimCC')


def config_id(path: Path) -> str:
    return path.stem


@pytest.fixture(scope='module')
def face_image(tmp_path_factory) -> Path:
    import cv2

    path = tmp_path_factory.mktemp('img') / 'face.jpg'
    image, _ = render_face(np.random.default_rng(0), 256)
    cv2.imwrite(str(path), image)
    return path


def packed_batch(cfg, image: Path, pipeline_cfg, num_keypoints: int, rng):
    dataset = DATASETS.get(cfg.train_dataloader.dataset.type)
    meta = parse_pose_metainfo(dict(dataset.METAINFO))
    pipeline = Compose(pipeline_cfg)
    samples = []
    for _ in range(2):
        keypoints = rng.uniform(60, 200, (1, num_keypoints, 2)).astype(np.float32)
        samples.append(
            pipeline(
                dict(
                    img_path=str(image),
                    img_id=0,
                    id=0,
                    bbox=np.array([[40, 40, 220, 220]], np.float32),
                    bbox_score=np.ones(1, np.float32),
                    keypoints=keypoints,
                    keypoints_visible=np.ones((1, num_keypoints), np.float32),
                    **meta,
                )
            )
        )
    return pseudo_collate(samples)


def train_pipelines(cfg) -> list:
    """The training pipeline and, for RTMPose's recipes, the stage-2 pipeline
    that MMDetection's PipelineSwitchHook switches to."""
    pipelines = [cfg.train_dataloader.dataset.pipeline]
    for hook in cfg.get('custom_hooks', []):
        if hook.type == 'mmdet.PipelineSwitchHook':
            pipelines.append(hook.switch_pipeline)
    return pipelines


@pytest.mark.slow
@pytest.mark.parametrize('config', ALL_CONFIGS, ids=config_id)
def test_config_trains_and_predicts(config, face_image, rng):
    register_all_modules()
    cfg = Config.fromfile(str(config))
    assert 'rr_mmpose' in cfg.custom_imports['imports']
    assert cfg.model.test_cfg.flip_test
    # The custom hooks (RTMPose's EMAHook and mmdet.PipelineSwitchHook) build.
    for hook in cfg.get('custom_hooks', []):
        HOOKS.build(hook.copy())
    cfg.model.backbone.init_cfg = None  # no download
    model = MODELS.build(cfg.model)
    if cfg.model.backbone.get('norm_cfg', {}).get('type') == 'SyncBN':
        # As MMEngine's Runner does when it trains in one process.
        model = revert_sync_batchnorm(model)
        assert not any(isinstance(m, torch.nn.SyncBatchNorm) for m in model.modules())
    k = cfg.model.head.out_channels
    # One codec everywhere: top-level variable, head decoder, target encoders
    # (the stage-2 pipeline's too).
    pipelines = train_pipelines(cfg)
    encoders = [t.encoder for p in pipelines for t in p if t.type == 'GenerateTarget']
    assert len(encoders) == len(pipelines)
    assert all(cfg.model.head.decoder == cfg.codec == encoder for encoder in encoders)
    assert cfg.codec.type in RR_CODECS
    optim = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    for pipeline in pipelines:  # one step on each training pipeline
        train_batch = packed_batch(cfg, face_image, pipeline, k, rng)
        data = model.data_preprocessor(train_batch, training=True)
        losses = model(**data, mode='loss')
        optim.zero_grad()
        losses['loss_kpt'].backward()
        optim.step()
        assert torch.isfinite(losses['loss_kpt'])
    model.eval()
    val_batch = packed_batch(cfg, face_image, cfg.val_dataloader.dataset.pipeline, k, rng)
    with torch.no_grad():
        results = model.test_step(val_batch)
    keypoints = results[0].pred_instances.keypoints
    assert keypoints.shape == (1, k, 2) and np.isfinite(keypoints).all()
