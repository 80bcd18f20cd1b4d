"""What several test modules share (fixtures live in conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from mmengine.config import Config
from torch import nn

from rr_mmpose.testing import GENERATED_FACES_CONFIG, on_generated_faces

REPO = Path(__file__).resolve().parents[1]
CONFIGS = REPO / 'configs'
FACE_CONFIGS = CONFIGS / 'face_2d_keypoint' / 'rr_heatmap'
DEMO_CONFIG = CONFIGS / GENERATED_FACES_CONFIG
# RTMPose-t with RandomizedRoundingSimCC, 68 points, 128x128: the small one.
RTMPOSE_CONFIG = CONFIGS / 'face_2d_keypoint/rr_simcc/300w/rtmpose-t_rr-8xb64-60e_300w-128x128.py'
# The 300W MobileNetV2 128x128 paper config, which the suite trains from
# scratch on generated faces (train_paper_config).
PAPER_CONFIG = 'face_2d_keypoint/rr_heatmap/300w/td-hm_mobilenetv2_rr-8xb64-60e_300w-p2-128x128.py'
# Every released H3R config.yaml, key for key (the weights are not here).
H3R_MODELS = Path(__file__).resolve().parent / 'fixtures' / 'h3r_models'


def h3r_fixture(model: str) -> Path:
    """The released ``config.yaml`` of H3R's ``models/<model>``."""
    return H3R_MODELS / model / 'config.yaml'


def read_json(path) -> dict:
    return json.loads(Path(path).read_text())


# The suite's training budget for it: 320 iterations of 4 faces (the
# shipped warm-up has reached 0.64 of its rate by then).
PAPER_EPOCHS, PAPER_BATCH, PAPER_NUM_TRAIN, PAPER_NUM_TEST = 4, 4, 320, 60


def paper_config_on(data_root: Path, work_dir: Path, loss: str | None = None) -> Config:
    """The shipped paper config on ``data_root`` for the suite's budget,
    with only the data, the epochs and the batch size changed for the CPU
    (and the loss, if given)."""
    from rr_mmpose import config_path

    cfg = Config.fromfile(config_path(PAPER_CONFIG))
    on_generated_faces(cfg, data_root, batch_size=PAPER_BATCH, work_dir=work_dir)
    if loss is not None:
        cfg.model.head.loss.type = loss
    cfg.train_cfg.max_epochs = PAPER_EPOCHS
    cfg.train_cfg.val_interval = PAPER_EPOCHS
    cfg.randomness = dict(seed=0)
    return cfg


def mean_shape_nme(cfg: Config) -> float:
    """NME (%) of a model that learnt nothing of the image: every test face
    of ``cfg``'s val loader given the mean landmarks of its train loader's
    faces, both in crop coordinates (after the config's box crop, without
    augmentation). A learning test's bounds are fractions of it."""
    from mmpose.registry import DATASETS

    from rr_mmpose.evaluation.video_metrics import outer_eye_nme

    crop = [s for s in cfg.val_dataloader.dataset.pipeline if s['type'] != 'PackPoseInputs']

    def crop_keypoints(loader) -> np.ndarray:
        dataset = DATASETS.build(dict(loader.dataset, pipeline=crop, test_mode=True))
        return np.array([dataset[i]['transformed_keypoints'][0] for i in range(len(dataset))])

    train, test = crop_keypoints(cfg.train_dataloader), crop_keypoints(cfg.val_dataloader)
    return outer_eye_nme(np.broadcast_to(train.mean(0), test.shape), test)


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


def random_demo_model(cfg: Config | None = None) -> nn.Module:
    """The demo config's model (or ``cfg``'s) at seed 0, its last layer's
    weights scaled up: less flat maps than the 0.001-std initialisation
    gives, so that graph and PyTorch decodes can be told apart. In eval mode."""
    from mmpose.registry import MODELS

    torch.manual_seed(0)
    net = MODELS.build((cfg or Config.fromfile(str(DEMO_CONFIG))).model)
    net.init_weights()
    with torch.no_grad():
        net.head.layers[-1].weight.mul_(1000)
    return net.eval()


def random_rtmpose_model() -> nn.Module:
    """RTMPose-t with RandomizedRoundingSimCC (``RTMPOSE_CONFIG``) at seed 0,
    no pretrained backbone, plain BatchNorm, in eval mode."""
    from mmengine.model import revert_sync_batchnorm
    from mmpose.registry import MODELS

    cfg = Config.fromfile(str(RTMPOSE_CONFIG))
    cfg.model.backbone.init_cfg = None
    torch.manual_seed(0)
    net = revert_sync_batchnorm(MODELS.build(cfg.model))
    net.init_weights()
    return net.eval()


class DecodeOnly(nn.Module):
    """A codec's ``decode_tensor`` as a module, to export the decode alone."""

    def __init__(self, codec) -> None:
        super().__init__()
        self.codec = codec

    def forward(self, *outputs):
        return self.codec.decode_tensor(*outputs)


def clear_of_topk_ties(maps, map_err: float, topk: int = 9) -> np.ndarray:
    """(B, K) mask of the keypoints whose top-``topk`` cells are decided:
    the ``topk``-th and next cells differ by more than ten times
    ``map_err``, the largest map difference between two implementations
    (an untrained network's cells can be that close)."""
    top = torch.as_tensor(maps).flatten(2).topk(topk + 1, dim=-1).values.numpy()
    return top[..., topk - 1] - top[..., topk] > 10 * map_err


def assert_study_refuses(main, message: str, folder: Path, capsys) -> None:
    """``main`` (a study's command line, run in ``folder``) exits with
    argparse's usage error, says ``message`` and writes no result file.
    ``sys.argv`` and the working directory must already be set (monkeypatch)."""
    import pytest

    with pytest.raises(SystemExit) as refused:
        main()
    assert refused.value.code == 2
    assert message in capsys.readouterr().err
    assert not (folder / 'docs').exists()


def encoders(node) -> list[dict]:
    """Every ``GenerateTarget`` encoder anywhere in a config (as a dict)."""
    if isinstance(node, dict):
        own = [node['encoder']] if node.get('type') == 'GenerateTarget' else []
        return own + [e for v in node.values() for e in encoders(v)]
    if isinstance(node, list | tuple):
        return [e for v in node for e in encoders(v)]
    return []
