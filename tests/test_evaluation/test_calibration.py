"""Score calibration: the fit itself, and the tool on a real (briefly
trained) model, where it must leave the coordinates alone."""

import re

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner
from mmpose.apis import init_model

from rr_mmpose.evaluation import fit_score_calibration
from rr_mmpose.testing.generated_faces import SPLIT_FILES
from rr_mmpose.tools.calibrate import main as calibrate_main

from ..helpers import DEMO_CONFIG, tiny_run_config

MSRA = dict(type='MSRAHeatmap', input_size=(128, 128), heatmap_size=(32, 32), sigma=1.5)


def test_fit_recovers_the_temperature_and_bias_of_miscalibrated_scores(rng):
    """Scores 2.5 times too sharp in log-odds and shifted by +1 there: the
    fit of the codecs' map finds T = 2.5 and b = -1, which undo both."""
    true = rng.uniform(0.05, 0.95, 20000)
    correct = rng.random(true.size) < true
    raw = torch.sigmoid(2.5 * (torch.logit(torch.from_numpy(true)) + 1)).numpy()
    temperature, bias = fit_score_calibration(raw, correct)
    assert temperature == pytest.approx(2.5, rel=0.05)
    assert bias == pytest.approx(-1.0, abs=0.05)


@pytest.mark.parametrize('correct', [np.ones(10, bool), np.zeros(10, bool)])
def test_nothing_to_fit_is_an_error(correct):
    with pytest.raises(ValueError, match='cannot fit a calibration: all 10 keypoints'):
        fit_score_calibration(np.full(10, 0.5), correct)


def test_scores_of_the_wrong_shape_are_an_error():
    with pytest.raises(ValueError, match=r'scores of shape \(3,\) for \(4,\) keypoints'):
        fit_score_calibration(np.full(3, 0.5), np.array([1, 0, 1, 0], bool))


@pytest.mark.slow  # trains
def test_the_tool_writes_a_config_that_calibrates_scores_only(tiny_faces, tmp_path):
    cfg = tiny_run_config(tiny_faces, tmp_path / 'train', epochs=2)
    Runner.from_cfg(cfg).train()
    checkpoint = tmp_path / 'train' / 'epoch_2.pth'
    config = tmp_path / 'config.py'
    cfg.dump(config)
    result = calibrate_main([str(config), str(checkpoint), '--out', str(tmp_path / 'cal.py')])
    assert (result['temperature'], result['bias']) != (1.0, 0.0)
    # The fit minimises the log-likelihood from (T, b) = (1, 0): it cannot
    # end worse (ECE, a binned figure, carries no such guarantee).
    assert result['nll_after'] <= result['nll_before'] + 1e-9

    decoder = Config.fromfile(tmp_path / 'cal.py').model.head.decoder
    assert decoder.score_temperature == pytest.approx(result['temperature'])
    assert decoder.score_bias == pytest.approx(result['bias'])
    inputs = torch.randn(2, 3, 128, 128, generator=torch.Generator().manual_seed(0))
    outputs = []
    for path in (config, tmp_path / 'cal.py'):
        model = init_model(str(path), str(checkpoint), device='cpu')
        with torch.no_grad():
            maps = model.head.score_maps(model.head.forward(model.extract_feat(inputs)))
        outputs.append(model.head.decoder.decode_tensor(maps))
    torch.testing.assert_close(outputs[0][0], outputs[1][0])  # the same keypoints
    assert not torch.allclose(outputs[0][1], outputs[1][1])  # other scores
    assert ((outputs[1][1] >= 0) & (outputs[1][1] <= 1)).all()

    # Fitted on a held-out split, as --cfg-options names it (here the 16
    # training faces, against the 8 test faces the config validates on).
    held_out = f'val_dataloader.dataset.ann_file={SPLIT_FILES["train_dataloader"]}'
    args = [str(config), str(checkpoint), '--out', str(tmp_path / 'held.py')]
    refit = calibrate_main([*args, '--cfg-options', held_out])
    assert (result['keypoints'], refit['keypoints']) == (8 * 68, 16 * 68)
    assert refit['temperature'] != pytest.approx(result['temperature'])
    held = Config.fromfile(tmp_path / 'held.py')
    assert held.val_dataloader.dataset.ann_file.endswith('300w_train.json')
    assert held.model.head.decoder.score_temperature == pytest.approx(refit['temperature'])


@pytest.mark.parametrize(
    'change, message',
    [
        (
            lambda cfg: setattr(cfg.model.head, 'decoder', MSRA),
            'MSRAHeatmap has no score_temperature and score_bias: only the randomized '
            'rounding codecs calibrate their scores',
        ),
        (lambda cfg: cfg.model.head.pop('decoder'), "the config's head has no decoder"),
        (
            lambda cfg: cfg.update(val_evaluator=dict(type='PCKAccuracy')),
            'the config has neither FaceLandmarkMetric nor NME in val_evaluator',
        ),
    ],
    ids=['codec', 'no decoder', 'metric'],
)
def test_the_tool_refuses_a_config_it_cannot_calibrate_and_writes_nothing(
    tmp_path, change, message
):
    """Refused before any weight is read (the checkpoint does not even
    exist), and the file at ``--out`` is left as it was."""
    cfg = Config.fromfile(str(DEMO_CONFIG))
    change(cfg)
    cfg.dump(tmp_path / 'config.py')
    out = tmp_path / 'calibrated.py'
    out.write_text('# kept\n')
    args = [str(tmp_path / 'config.py'), str(tmp_path / 'missing.pth'), '--out', str(out)]
    with pytest.raises(ValueError, match=re.escape(message)):
        calibrate_main(args)
    assert out.read_text() == '# kept\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ['calibrated.py', 'config.py']


def test_only_the_randomized_rounding_codecs_calibrate():
    from mmpose.registry import KEYPOINT_CODECS

    from rr_mmpose.evaluation.calibration import calibrates

    assert not calibrates(KEYPOINT_CODECS.build(MSRA))
    for codec in (
        dict(type='RandomizedRoundingHeatmap', input_size=(128, 128), heatmap_size=(32, 32)),
        dict(type='RandomizedRoundingSimCC', input_size=(128, 128)),
    ):
        assert calibrates(KEYPOINT_CODECS.build(codec))
