"""The shipped 300W MobileNetV2 128x128 paper config learns: its own head
and loss, trained from scratch on generated faces, with only the data,
the epochs and the batch size changed for the CPU."""

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from rr_mmpose import config_path
from rr_mmpose.datasets import generate_dataset
from rr_mmpose.testing import on_generated_faces

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
    on_generated_faces(cfg, data_root, batch_size=BATCH, work_dir=work_dir)
    if loss is not None:
        cfg.model.head.loss.type = loss
    cfg.train_cfg.max_epochs = EPOCHS
    cfg.train_cfg.val_interval = EPOCHS
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
