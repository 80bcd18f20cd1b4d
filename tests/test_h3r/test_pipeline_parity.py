"""Parity with H3R's pipeline for a trained-like model on a few generated
faces (``rr_mmpose.testing.h3r_parity.pipeline_parity``, which the parity
study runs on the demo model): H3R's side is its own reference, and the
H3R inference config stays on it. Nothing here is timed."""

import torch
from mmengine.config import Config
from mmpose.registry import MODELS

from rr_mmpose.testing.h3r_parity import pipeline_parity

from ..helpers import DEMO_CONFIG


def test_pipeline_parity_runs_and_the_inference_config_matches(tiny_faces, tmp_path):
    cfg = Config.fromfile(str(DEMO_CONFIG))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    with torch.no_grad():  # peaky maps: few top-k near-ties in an untrained net
        model.head.layers[-1].weight.mul_(100)
    checkpoint = tmp_path / 'demo_like.pth'
    torch.save(dict(state_dict=model.state_dict()), checkpoint)

    result = pipeline_parity(checkpoint, tiny_faces, num=3)
    rows = {row['pipeline']: row for row in result['rows']}
    assert result['faces'] == 3
    assert rows['H3R']['max_px'] == 0.0
    assert rows['option']['p95_px'] < 0.01
    assert rows['affine']['mean_px'] > rows['option']['mean_px']
