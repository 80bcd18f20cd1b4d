import json
from pathlib import Path

import numpy as np
import pytest
from mmpose.utils import register_all_modules

import rr_mmpose  # noqa: F401  (registers the codec, head and losses)
from rr_mmpose.datasets import generate_dataset

# MMPose's scope, as its tools set it: models built straight from a config's
# `model` dict find MMPose's data preprocessor whatever test runs first.
register_all_modules()

REPO = Path(__file__).resolve().parents[1]
CONFIG_DIR = REPO / 'configs' / 'face_2d_keypoint' / 'rr_heatmap'
DEMO_CONFIG = (
    CONFIG_DIR / 'synthetic_faces' / 'td-hm_mobilenetv2_rr-1xb32-8e_synthetic-faces-128x128.py'
)


@pytest.fixture(scope='session')
def tiny_faces(tmp_path_factory) -> Path:
    """A tiny generated 300W-layout dataset: 16 train and 8 test faces."""
    root = tmp_path_factory.mktemp('synthetic_faces')
    generate_dataset(root, num_train=16, num_test=8, image_size=128, seed=0)
    return root


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


def read_json(path) -> dict:
    return json.loads(Path(path).read_text())


def tiny_run_config(data_root: Path, work_dir: Path, config=DEMO_CONFIG, epochs: int = 1):
    """The demo config shrunk to a few CPU iterations on ``data_root``."""
    from mmengine.config import Config

    cfg = Config.fromfile(str(config))
    cfg.work_dir = str(work_dir)
    cfg.train_cfg.max_epochs = epochs
    cfg.train_cfg.val_interval = epochs
    cfg.default_hooks.checkpoint.interval = 1
    cfg.default_hooks.logger.interval = 1
    cfg.param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=True)]
    cfg.visualizer.vis_backends = [dict(type='LocalVisBackend')]
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg[name]
        loader.batch_size = 4
        loader.num_workers = 0
        loader.persistent_workers = False
        loader.dataset.data_root = str(data_root)
    return cfg


@pytest.fixture(scope='module')
def one_torch_thread():
    """One intra-op thread: on a shared 2-core machine two threads that wait
    for each other made the H3R networks up to 100x slower (measured)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
