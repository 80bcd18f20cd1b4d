"""The configs added for H3R's released 300W-LP and LaPa HRNet-W32 models:
standalone, and with the parameters and FLOPs H3R's README gives."""

import pytest

from rr_mmpose import config_path

from .test_complexity import complexity

pytestmark = pytest.mark.usefixtures('one_torch_thread')

ADDED = [
    # config, input size, params, FLOPs: H3R's models/README.md (300W-LP);
    # HRNet-W32 has no published figure: this repository's own count.
    ('300wlp/td-hm_hrnetv2-w18_rr-8xb64-60e_300wlp-p2-128x128.py', 128, 9.67e6, 1.19e9),
    ('300wlp/td-hm_mobilenetv2_rr-8xb64-60e_300wlp-p2-128x128.py', 128, 0.59e6, 0.12e9),
    ('lapa/td-hm_hrnetv2-w32_rr-8xb64-60e_lapa-p2-256x256.py', 256, 29.64e6, 11.73e9),
]


@pytest.mark.parametrize('config, size, params, flops', ADDED, ids=[a[0] for a in ADDED])
def test_params_and_flops(config, size, params, flops):
    info = complexity(config, size)
    assert info['params'] == pytest.approx(params, rel=0.02)
    # Published FLOPs are rounded to two decimals: allow that rounding too.
    assert info['flops'] == pytest.approx(flops, rel=0.02, abs=0.005e9)


@pytest.mark.parametrize('config', [a[0] for a in ADDED])
def test_config_reads_alone(config):
    from mmengine.config import Config

    path = config_path('face_2d_keypoint/rr_heatmap/' + config)
    text = open(path).read()
    assert '_delete_' not in text
    cfg = Config.fromfile(path)
    assert Config._get_base_files(path) == ['mmpose::_base_/default_runtime.py']
    assert cfg.model.head.loss == dict(type='TwoClassSpatialSoftmaxCELoss', use_target_weight=True)
    assert cfg.model.head.decoder == cfg.codec
