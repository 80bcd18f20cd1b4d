"""Every shipped RTMPose config trains what it decodes: its targets and its
decode come from one ``RandomizedRoundingSimCC``, and ``KLDiscretLoss``
trains against the drawn target at that codec's ``beta``."""

import pytest
from mmengine.config import Config

from ..helpers import CONFIGS
from ..simcc_helpers import assert_trains_what_it_decodes

SIMCC_CONFIGS = sorted(p for p in CONFIGS.rglob('*.py') if 'rr_simcc' in p.parts)


def test_every_simcc_config_is_checked():
    # 9 face configs (RTMPose-t and -m on WFLW, 300W, LaPa) and COCO body
    assert len(SIMCC_CONFIGS) == 10


@pytest.mark.parametrize('config', SIMCC_CONFIGS, ids=lambda p: p.name)
def test_a_shipped_rtmpose_config_trains_what_it_decodes(config):
    assert_trains_what_it_decodes(Config.fromfile(str(config)))


def test_a_loss_at_another_beta_is_caught():
    cfg = Config.fromfile(str(SIMCC_CONFIGS[0]))
    cfg.model.head.loss.beta = cfg.codec.beta / 2
    with pytest.raises(AssertionError, match=r'\(5\.0, 10\.0\)'):
        assert_trains_what_it_decodes(cfg)
