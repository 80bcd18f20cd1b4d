"""The shipped 300W MobileNetV2 128x128 paper config learns: its own head
and loss, trained from scratch on generated faces, with only the data,
the epochs and the batch size changed for the CPU."""

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from rr_mmpose import config_path
from rr_mmpose.datasets import generate_dataset

pytestmark = pytest.mark.slow

PAPER_CONFIG = 'face_2d_keypoint/rr_heatmap/300w/td-hm_mobilenetv2_rr-8xb64-60e_300w-p2-128x128.py'
EPOCHS, BATCH, NUM_TRAIN, NUM_TEST = 4, 4, 320, 60
# Measured with this budget (320 iterations of 4 faces; the shipped warm-up
# has reached 0.64 of its rate by then): the shipped loss reaches NME
# 5.44 %, H3R's per-pixel two-class loss (the paper configs' loss until
# 2026-11-26) 53.3 %.
NME_BOUND = 0.10


@pytest.fixture(scope='module')
def faces(tmp_path_factory):
    root = tmp_path_factory.mktemp('faces_learn')
    generate_dataset(root, num_train=NUM_TRAIN, num_test=NUM_TEST, seed=3)
    return root


def shipped_config_on(data_root, work_dir, loss: str | None = None) -> Config:
    cfg = Config.fromfile(config_path(PAPER_CONFIG))
    cfg.work_dir = str(work_dir)
    cfg.model.backbone.init_cfg = None  # ImageNet weights cannot be downloaded here
    if loss is not None:
        cfg.model.head.loss.type = loss
    cfg.train_cfg.max_epochs = EPOCHS
    cfg.train_cfg.val_interval = EPOCHS
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=-1, save_last=False)
    cfg.visualizer.vis_backends = [dict(type='LocalVisBackend')]
    for name, ann in (('train_dataloader', 'train'), ('val_dataloader', 'test')):
        loader = cfg[name]
        loader.batch_size = BATCH
        loader.num_workers = 0
        loader.persistent_workers = False
        loader.dataset.data_root = str(data_root)
        loader.dataset.ann_file = f'annotations/face_landmarks_300w_{ann}.json'
        loader.dataset.data_prefix = dict(img='images/')
    cfg.test_dataloader = cfg.val_dataloader
    return cfg


@pytest.mark.parametrize('loss', [None, 'PixelwiseTwoClassCELoss'], ids=['shipped', 'per-pixel'])
def test_the_shipped_paper_config_learns(loss, faces, tmp_path):
    """The shipped loss gets below the bound; H3R's per-pixel two-class loss,
    the paper configs' loss before, stays above it on the same budget."""
    cfg = shipped_config_on(faces, tmp_path, loss)
    if loss is None:
        assert cfg.model.head.loss.type == 'TwoClassSpatialSoftmaxCELoss'
    runner = Runner.from_cfg(cfg)
    runner.train()
    nme = runner.val_loop.run()['NME']
    print(f'300W MobileNetV2 128x128 paper config, loss {loss or "shipped"}: NME {100 * nme:.2f} %')
    if loss is None:
        assert nme < NME_BOUND
    else:
        assert nme > NME_BOUND
