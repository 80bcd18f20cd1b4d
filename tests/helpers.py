"""What several test modules share (fixtures live in conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path

from mmengine.config import Config

from rr_mmpose.testing import GENERATED_FACES_CONFIG, on_generated_faces

REPO = Path(__file__).resolve().parents[1]
CONFIGS = REPO / 'configs'
FACE_CONFIGS = CONFIGS / 'face_2d_keypoint' / 'rr_heatmap'
DEMO_CONFIG = CONFIGS / GENERATED_FACES_CONFIG
# RTMPose-t with RandomizedRoundingSimCC, 68 points, 128x128: the small one.
RTMPOSE_CONFIG = CONFIGS / 'face_2d_keypoint/rr_simcc/300w/rtmpose-t_rr-8xb64-60e_300w-128x128.py'
# Every released H3R config.yaml, key for key (the weights are not here).
H3R_MODELS = Path(__file__).resolve().parent / 'fixtures' / 'h3r_models'


def h3r_fixture(model: str) -> Path:
    """The released ``config.yaml`` of H3R's ``models/<model>``."""
    return H3R_MODELS / model / 'config.yaml'


def read_json(path) -> dict:
    return json.loads(Path(path).read_text())


def tiny_run_config(data_root: Path, work_dir: Path, config=DEMO_CONFIG, epochs: int = 1):
    """The demo config shrunk to a few CPU iterations on ``data_root``, a
    checkpoint every epoch."""
    cfg = Config.fromfile(str(config))
    on_generated_faces(
        cfg, data_root, batch_size=4, work_dir=work_dir, checkpoints=True, log_interval=1
    )
    cfg.train_cfg.max_epochs = epochs
    cfg.train_cfg.val_interval = epochs
    cfg.default_hooks.checkpoint.interval = 1
    cfg.param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=True)]
    return cfg
