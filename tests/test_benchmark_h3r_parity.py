"""The H3R pipeline-parity benchmark on a few generated faces with an
untrained demo-architecture checkpoint: it runs end to end, and the H3R
pipeline option stays on H3R's pipeline. Nothing here is timed."""

import torch
from mmengine.config import Config
from mmpose.registry import MODELS

from tools.benchmarks import h3r_pipeline_parity

from .conftest import DEMO_CONFIG


def test_parity_benchmark_runs_and_the_option_matches(tiny_faces, tmp_path):
    cfg = Config.fromfile(str(DEMO_CONFIG))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    with torch.no_grad():  # peaky maps: few top-k near-ties in an untrained net
        model.head.layers[-1].weight.mul_(100)
    checkpoint = tmp_path / 'demo_like.pth'
    torch.save(dict(state_dict=model.state_dict()), checkpoint)

    result = h3r_pipeline_parity.measure(checkpoint, num=3, data=tiny_faces)
    rows = {row['pipeline']: row for row in result['rows']}
    assert result['faces'] == 3
    assert rows['H3R']['max_px'] == 0.0
    assert rows['option']['p95_px'] < 0.01
    assert '| MMPoseInferencer, TopdownAffine' in h3r_pipeline_parity.table(result)
