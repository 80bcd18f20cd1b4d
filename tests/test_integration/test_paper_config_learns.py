"""The shipped 300W MobileNetV2 128x128 paper config learns: its own head
and loss, trained from scratch on generated faces, with only the data,
the epochs and the batch size changed for the CPU, against H3R's per-pixel
two-class loss (the paper configs' loss until 2026-11-26) trained the same
way."""

import pytest
from mmengine.runner import Runner

from ..helpers import paper_config_on

pytestmark = pytest.mark.slow

# Measured with the suite's budget (helpers.PAPER_EPOCHS and friends): the
# shipped loss reaches NME 5.44 %, the per-pixel loss 53.3 %.
NME_BOUND = 0.10


def test_the_shipped_paper_config_learns(paper_model):
    cfg, _ = paper_model
    assert cfg.model.head.loss.type == 'TwoClassSpatialSoftmaxCELoss'
    print(f'300W MobileNetV2 128x128 paper config: NME {100 * cfg.trained_nme:.2f} %')
    assert cfg.trained_nme < NME_BOUND


def test_the_per_pixel_baseline_does_not_on_the_same_budget(paper_faces, tmp_path):
    cfg = paper_config_on(paper_faces, tmp_path, 'PixelwiseTwoClassCELoss')
    runner = Runner.from_cfg(cfg)
    runner.train()
    nme = runner.val_loop.run()['NME']
    print(f'300W MobileNetV2 128x128 paper config, per-pixel loss: NME {100 * nme:.2f} %')
    assert nme > NME_BOUND
