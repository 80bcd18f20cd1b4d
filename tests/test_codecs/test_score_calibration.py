"""Score calibration of both randomized rounding codecs: Platt scaling of
the score's log-odds, which moves scores only, in order."""

import math

import numpy as np
import pytest
import torch
from mmpose.registry import KEYPOINT_CODECS

from rr_mmpose.codecs.score_calibration import calibrate_scores

HEATMAP = dict(type='RandomizedRoundingHeatmap', input_size=(128, 128), heatmap_size=(32, 32))
SIMCC = dict(type='RandomizedRoundingSimCC', input_size=(128, 128), simcc_split_ratio=1.0)


def random_inputs(codec_cfg: dict, generator: torch.Generator) -> tuple[torch.Tensor, ...]:
    """Peaked, untidy model outputs: log-probability maps, or SimCC logits."""
    if codec_cfg['type'] == 'RandomizedRoundingHeatmap':
        logits = 4 * torch.randn(3, 17, 32 * 32, generator=generator)
        return (logits.log_softmax(-1).view(3, 17, 32, 32),)
    return tuple(0.3 * torch.randn(3, 17, 128, generator=generator) for _ in 'xy')


def test_the_defaults_leave_scores_alone():
    scores = torch.tensor([0.0, 0.2, 1.0])
    assert calibrate_scores(scores) is scores


def test_calibration_is_platt_scaling_of_the_log_odds():
    """Against the formula by hand, for T = 0.5, b = -1: s = 0.2 has
    log-odds -log 4, so s' = 1 / (1 + 4^2 e)."""
    calibrated = calibrate_scores(torch.tensor([0.2, 0.5]), 0.5, -1.0)
    expected = [1 / (1 + 16 * math.e), 1 / (1 + math.e)]
    torch.testing.assert_close(calibrated, torch.tensor(expected))


def test_calibration_keeps_the_order_and_stays_in_0_1():
    scores = torch.linspace(0, 1, 1001)
    for temperature, bias in ((0.3, 2.0), (3.0, -2.0)):
        calibrated = calibrate_scores(scores, temperature, bias)
        assert torch.isfinite(calibrated).all()
        assert (calibrated >= 0).all() and (calibrated <= 1).all()  # 0 and 1 included
        assert (calibrated.diff() >= 0).all()


@pytest.mark.parametrize('codec_cfg', [HEATMAP, SIMCC], ids=['heatmap', 'simcc'])
def test_codecs_calibrate_scores_and_never_move_keypoints(codec_cfg):
    inputs = random_inputs(codec_cfg, torch.Generator().manual_seed(0))
    raw_keypoints, raw = KEYPOINT_CODECS.build(codec_cfg).decode_tensor(*inputs)
    calibrated_codec = KEYPOINT_CODECS.build(dict(codec_cfg, score_temperature=0.7, score_bias=-1))
    keypoints, scores = calibrated_codec.decode_tensor(*inputs)
    torch.testing.assert_close(keypoints, raw_keypoints, rtol=0, atol=0)
    torch.testing.assert_close(scores, calibrate_scores(raw, 0.7, -1.0))
    assert not torch.allclose(scores, raw)


@pytest.mark.parametrize('codec_cfg', [HEATMAP, SIMCC], ids=['heatmap', 'simcc'])
@pytest.mark.parametrize(
    'bad, message',
    [
        (dict(score_temperature=0), 'score_temperature must be positive and finite, got 0.0'),
        (dict(score_temperature=-1), 'score_temperature must be positive and finite, got -1.0'),
        (dict(score_temperature=np.inf), 'score_temperature must be positive and finite, got inf'),
        (dict(score_temperature=np.nan), 'score_temperature must be positive and finite, got nan'),
        (dict(score_bias=np.nan), 'score_bias must be finite, got nan'),
        (dict(score_bias=-np.inf), 'score_bias must be finite, got -inf'),
    ],
)
def test_bad_calibration_arguments_are_refused(codec_cfg, bad, message):
    with pytest.raises(ValueError, match=message):
        KEYPOINT_CODECS.build(dict(codec_cfg, **bad))
