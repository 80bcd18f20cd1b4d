"""The codec and head dropped into MMPose's own body and whole-body configs:
a few training iterations on tiny generated COCO-format data, then
MMPose's own evaluation (COCO keypoint AP; face NME)."""

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from rr_mmpose.datasets import render_face

from ..helpers import CONFIGS

pytestmark = pytest.mark.slow  # trains or launches processes

BODY = CONFIGS / 'body_2d_keypoint/rr_heatmap/coco/td-hm_hrnet-w32_rr-8xb64-210e_coco-256x192.py'
WHOLEBODY_FACE = (
    CONFIGS / 'face_2d_keypoint/rr_heatmap/coco_wholebody_face/'
    'td-hm_hrnetv2-w18_rr-8xb32-60e_coco-wholebody-face-256x256.py'
)


def tiny_runner(config: Path, root: Path, work_dir: Path, evaluator: dict) -> Runner:
    cfg = Config.fromfile(str(config))
    cfg.model.backbone.init_cfg = None
    cfg.work_dir = str(work_dir)
    cfg.train_cfg = dict(by_epoch=True, max_epochs=1, val_interval=1)
    cfg.param_scheduler = [dict(type='ConstantLR', factor=1.0)]
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1)
    cfg.default_hooks.logger.interval = 1
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg[name]
        loader.update(batch_size=2, num_workers=0, persistent_workers=False)
        loader.dataset.update(
            data_root=str(root), ann_file='ann.json', data_prefix=dict(img='images/')
        )
        loader.dataset.pop('bbox_file', None)
    cfg.val_evaluator = cfg.test_evaluator = evaluator
    return Runner.from_cfg(cfg)


def write_coco(root: Path, images: list, annotations: list, categories: list) -> None:
    doc = dict(images=images, annotations=annotations, categories=categories)
    (root / 'ann.json').write_text(json.dumps(doc))


@pytest.fixture(scope='module')
def body_data(tmp_path_factory) -> Path:
    """Four 'people': 17 keypoints scattered in a box on a textured image."""
    root = tmp_path_factory.mktemp('coco_body')
    (root / 'images').mkdir()
    rng = np.random.default_rng(0)
    images, anns = [], []
    for i in range(4):
        image = rng.integers(0, 255, (240, 200, 3), dtype=np.uint8)
        cv2.imwrite(str(root / 'images' / f'{i}.jpg'), image)
        kpts = np.concatenate([rng.uniform([40, 30], [160, 210], (17, 2)), np.full((17, 1), 2)], 1)
        images.append(dict(id=i, file_name=f'{i}.jpg', width=200, height=240))
        anns.append(
            dict(
                id=i,
                image_id=i,
                category_id=1,
                iscrowd=0,
                num_keypoints=17,
                keypoints=kpts.ravel().tolist(),
                bbox=[35, 25, 130, 190],
                area=130 * 190,
            )
        )
    write_coco(root, images, anns, [dict(id=1, name='person', keypoints=[], skeleton=[])])
    return root


@pytest.fixture(scope='module')
def wholebody_face_data(tmp_path_factory) -> Path:
    """Generated faces annotated in the COCO-WholeBody layout."""
    root = tmp_path_factory.mktemp('coco_wholebody_face')
    (root / 'images').mkdir()
    rng = np.random.default_rng(0)
    images, anns = [], []
    for i in range(4):
        image, face = render_face(rng, 160)
        cv2.imwrite(str(root / 'images' / f'{i}.jpg'), image)
        x0, y0 = face.min(0)
        x1, y1 = face.max(0)
        images.append(dict(id=i, file_name=f'{i}.jpg', width=160, height=160))
        anns.append(
            dict(
                id=i,
                image_id=i,
                category_id=1,
                iscrowd=0,
                num_keypoints=0,
                keypoints=[0] * 51,
                bbox=[0, 0, 160, 160],
                area=160 * 160,
                face_box=[float(x0), float(y0), float(x1 - x0), float(y1 - y0)],
                face_valid=True,
                face_kpts=np.concatenate([face, np.ones((68, 1))], 1).ravel().tolist(),
            )
        )
    write_coco(root, images, anns, [dict(id=1, name='person')])
    return root


def test_body_config_trains_and_evaluates_with_coco_metric(body_data, tmp_path):
    evaluator = dict(type='CocoMetric', ann_file=str(body_data / 'ann.json'))
    runner = tiny_runner(BODY, body_data, tmp_path, evaluator)
    runner.train()
    metrics = runner.val_loop.run()
    assert 'coco/AP' in metrics and np.isfinite(metrics['coco/AP'])
    assert runner.model.head.decoder.heatmap_size == (48, 64)


def test_wholebody_face_config_trains_and_evaluates_nme(wholebody_face_data, tmp_path):
    evaluator = dict(type='NME', norm_mode='keypoint_distance')
    runner = tiny_runner(WHOLEBODY_FACE, wholebody_face_data, tmp_path, evaluator)
    runner.train()
    metrics = runner.val_loop.run()
    assert np.isfinite(metrics['NME'])
