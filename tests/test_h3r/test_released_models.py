"""All 16 models H3R released convert without ``--config`` and match H3R's
own network and inference rebuilt from its source
(``rr_mmpose.testing.h3r_reference``).

Each released ``config.yaml`` (key for key, tests/fixtures/h3r_models) gets
random weights with fitted BN statistics in H3R's network, is written
out as a model directory and converted as a user would. Network parity
(logits to 1e-4, decoded landmarks to 0.01 px) runs for all 16; end to end
(``MMPoseInferencer`` with the H3R inference config against H3R's
crop / flip / map-back pipeline, 0.01 px) for one model per backbone and
input size, to keep CPU time small.
"""

from pathlib import Path

import numpy as np
import pytest
import torch

from rr_mmpose import config_path
from rr_mmpose.datasets import render_face, tight_box
from rr_mmpose.h3r import load_h3r_config
from rr_mmpose.h3r.published import RELEASED_MODELS
from rr_mmpose.testing.h3r_parity import (
    convert_random_model,
    end_to_end_parity,
    face_images,
    h3r_crops,
    load_converted,
    network_parity,
)
from rr_mmpose.testing.h3r_reference import H3RNetwork
from rr_mmpose.utils import model_complexity

from ..helpers import H3R_MODELS, h3r_fixture

# One model per (backbone, input size) for the slower end-to-end check;
# WFLW's HRNet P1 also exercises a config.yaml that relies on the defaults.
END_TO_END = [
    'wflw/hrnet18_256x256_p1',
    'wflw/mobilenet_160x160_p2',
    'lapa/hrnet32_256x256_p2',
    'lapa/mobilenet_256x256_p2',
    '300wlp/pts3d/hrnet18_128x128_p2',
    '300wlp/pts3d/mobilenet_128x128_p2',
]
pytestmark = pytest.mark.usefixtures('one_torch_thread')


def test_the_16_fixtures_are_the_released_files():
    found = sorted(str(p.parent.relative_to(H3R_MODELS)) for p in H3R_MODELS.rglob('config.yaml'))
    assert found == sorted(RELEASED_MODELS)


@pytest.mark.parametrize('model', sorted(RELEASED_MODELS))
def test_reference_network_has_h3rs_published_size(model):
    """The reference, built from config.yaml merged over H3R's defaults,
    has the parameter count H3R published (within 2 %); where H3R published
    none (LaPa's _jd and HRNet-W32), the count of the config it converts to."""
    params = sum(p.numel() for p in H3RNetwork(load_h3r_config(h3r_fixture(model))).parameters())
    published = RELEASED_MODELS[model]
    expected = published.params_m
    if expected is None:
        expected = model_complexity(config_path(published.config)).params_m
    assert params / 1e6 == pytest.approx(expected, rel=0.02)


@pytest.mark.parametrize('model', sorted(RELEASED_MODELS))
def test_released_model_converts_and_matches_h3rs_network(model, tmp_path):
    """No --config: the matching config is found from config.yaml and
    H3R's defaults, the one ``rr_mmpose.h3r.published`` lists for it.
    Logits within 1e-4 and landmarks within 0.01 px of H3R's network on
    the same input: a generated face at the model's size."""
    cfg, net, checkpoint = convert_random_model(h3r_fixture(model), tmp_path)
    meta = torch.load(checkpoint, weights_only=True)['meta']
    assert meta['config'].endswith(RELEASED_MODELS[model].config)
    images = face_images(num=1, size=cfg['INPUT']['SIZE'][0], seed=7)
    result = network_parity(net, load_converted(checkpoint), images)
    assert result['max_logit_diff'] < 1e-4
    assert result['max_px'] < 0.01


@pytest.mark.parametrize('model', END_TO_END)
def test_inferencer_with_h3r_inference_config_matches_h3rs_pipeline(model, tmp_path):
    """The same BGR image and two boxes (one past the image edges):
    MMPoseInferencer with the H3R inference config against H3R's own
    pipeline (PIL crop, torchvision resize, flip test, linear map back).
    BN statistics are fitted on these crops (see ``random_h3r_network``)."""
    image, landmarks = render_face(np.random.default_rng(3), size=200)
    x1, y1, x2, y2 = tight_box(landmarks)
    boxes = np.array([[x1, y1, x2, y2], [x1 - 40, y1 + 10, x2 - 25, y2 + 30]], np.float32)
    crops = h3r_crops(h3r_fixture(model), image, boxes)
    cfg, net, checkpoint = convert_random_model(h3r_fixture(model), tmp_path, crops)
    result = end_to_end_parity(cfg, net, checkpoint, image, boxes)
    assert result['max_px'] < 0.01


def test_reference_is_independent_of_mmpose_and_the_converter():
    """The reference imports neither the converter it checks nor any
    OpenMMLab package: only torch, torchvision, PIL, numpy, yaml and H3R's
    config defaults."""
    import ast

    import rr_mmpose.testing.h3r_reference as reference

    allowed = {'torch', 'torchvision', 'PIL', 'numpy', 'yaml', 'shutil', 'pathlib'}
    allowed |= {'__future__', 'collections', 'networks', 'pipeline', 'weights'}
    h3r_defaults = 'rr_mmpose.h3r.h3r_config'  # torchalign's cfg.py, which both sides read
    for path in Path(reference.__file__).parent.glob('*.py'):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or '']
            else:
                continue
            for name in names:
                assert name == h3r_defaults or name.split('.')[0] in allowed, (
                    f'{path.name} imports {name}'
                )


def test_reference_loads_a_model_directory_strictly(tmp_path):
    """``H3RDetector.from_model_dir``: config.yaml over the defaults, then
    model.pth into H3R's module tree with ``strict=True``."""
    from rr_mmpose.testing.h3r_reference import H3RDetector, write_h3r_model_dir

    released = h3r_fixture('300w/mobilenet_128x128_p2')
    torch.manual_seed(0)
    net = H3RNetwork(load_h3r_config(released)).eval()
    state = net.state_dict()
    detector = H3RDetector.from_model_dir(write_h3r_model_dir(tmp_path / 'm', state, released))
    assert detector.cfg['INPUT']['DATASET'] == 'F300W' and detector.size == [128, 128]
    images = face_images(num=1, size=128)
    with torch.no_grad():
        assert torch.equal(detector.net(images), net(images))
    state['backbone.features.1.conv.2.weight'] = torch.zeros(1)  # conv.2 is a ReLU6
    write_h3r_model_dir(tmp_path / 'bad', state, released)
    with pytest.raises(RuntimeError, match='Unexpected key.*features.1.conv.2.weight'):
        H3RDetector.from_model_dir(tmp_path / 'bad')


@pytest.mark.slow  # a subprocess
def test_importing_the_reference_does_not_run_the_converter():
    """In a fresh interpreter, the reference loads without the converter
    module it checks (``rr_mmpose.h3r`` loads the converter lazily)."""
    import subprocess
    import sys

    probe = (
        'import sys, rr_mmpose.testing.h3r_reference; '
        "print('rr_mmpose.h3r.checkpoint' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, '-c', probe], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().splitlines()[-1] == 'False'
