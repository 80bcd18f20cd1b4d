"""Parameters and FLOPs, counted as MMPose's tools/analysis_tools/get_flops.py
counts them (mmengine's get_model_complexity_info on ``model._forward``),
against the table in H3R's README."""

import pytest
from mmengine.analysis import get_model_complexity_info
from mmengine.config import Config
from mmpose.registry import MODELS
from mmpose.utils import register_all_modules

from .conftest import CONFIG_DIR

PAPER = [
    ('wflw/td-hm_hrnetv2-w18_rr-8xb64-60e_wflw-p2-256x256.py', 256, 9.69e6, 4.84e9),
    ('wflw/td-hm_mobilenetv2_rr-8xb64-60e_wflw-p2-256x256.py', 256, 0.60e6, 0.51e9),
    ('wflw/td-hm_mobilenetv2_rr-8xb64-60e_wflw-p2-160x160.py', 160, 0.60e6, 0.20e9),
    ('wflw/td-hm_mobilenetv2_rr-8xb64-60e_wflw-p2-128x128.py', 128, 0.60e6, 0.13e9),
]


def complexity(config: str, size: int) -> dict:
    register_all_modules()
    cfg = Config.fromfile(str(CONFIG_DIR / config))
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model).eval()
    model.forward = model._forward
    return get_model_complexity_info(model, (3, size, size), show_table=False, show_arch=False)


@pytest.mark.parametrize('config, size, params, flops', PAPER, ids=[p[0] for p in PAPER])
def test_params_and_flops_match_the_paper(config, size, params, flops):
    info = complexity(config, size)
    assert info['params'] == pytest.approx(params, rel=0.02)
    # Paper FLOPs are rounded to two decimals: allow that rounding too.
    assert info['flops'] == pytest.approx(flops, rel=0.02, abs=0.005e9)
