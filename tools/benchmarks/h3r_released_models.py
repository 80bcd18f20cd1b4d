"""Every model H3R released, converted without --config and checked
against H3R's network and inference as rebuilt from its source
(``rr_mmpose.testing.h3r_reference``), with random weights.

    python -m tools.benchmarks.h3r_released_models

For each released ``config.yaml`` (key for key in
tests/fixtures/h3r_models; the ``model.pth`` files are not reachable
here), random weights are put into the rebuilt network, BN
statistics and logit scale fitted on the images checked, written out
as H3R's model directory and converted as a user would. Then:

- network: logits and decoded landmarks of the converted model against
  H3R's network, one generated face at the model's input size;
- end to end: ``MMPoseInferencer`` with ``h3r_inference_config`` against
  H3R's ``FacialLandmarkDetector`` pipeline, one generated face with two
  boxes (one past the image edges), flip test on;
- parameters and FLOPs of the config, counted as MMPose's get_flops counts
  them, next to H3R's published figures.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from rr_mmpose.h3r.published import SOURCE_COMMIT

from . import study

TITLE = "H3R's released models, converted"  # of its section

# Every released config.yaml, key for key (the test fixtures).
FIXTURES = Path('tests/fixtures/h3r_models')
ORDER = ('wflw', 'lapa', '300w/', '300wlp')


def released_models() -> list[str]:
    names = [str(p.parent.relative_to(FIXTURES)) for p in FIXTURES.rglob('config.yaml')]
    return sorted(names, key=lambda n: ([n.startswith(o) for o in ORDER].index(True), n))


def measure_one(model: str) -> dict:
    from rr_mmpose.datasets import render_face, tight_box
    from rr_mmpose.h3r.published import RELEASED_MODELS
    from rr_mmpose.testing.h3r_parity import (
        convert_random_model,
        end_to_end_parity,
        face_images,
        h3r_crops,
        load_converted,
        network_parity,
    )
    from rr_mmpose.utils import model_complexity

    config_yaml = FIXTURES / model / 'config.yaml'
    row: dict = dict(model=model)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        try:
            cfg, net, checkpoint = convert_random_model(config_yaml, Path(tmp) / 'network')
        except Exception as err:  # a model that does not convert is a result here
            return dict(row, converts=False, error=f'{type(err).__name__}: {err}')
        meta = torch.load(checkpoint, map_location='cpu', weights_only=True)['meta']
        size = tuple(cfg['INPUT']['SIZE'])
        row.update(converts=True, config=meta['config'].split('rr_heatmap/')[-1], size=size)
        images = face_images(num=1, size=size[0], seed=7)
        row['network'] = network_parity(net, load_converted(checkpoint), images)

        image, landmarks = render_face(np.random.default_rng(3), size=200)
        x1, y1, x2, y2 = tight_box(landmarks)
        boxes = np.array([[x1, y1, x2, y2], [x1 - 40, y1 + 10, x2 - 25, y2 + 30]], np.float32)
        crops = h3r_crops(config_yaml, image, boxes)
        cfg, net, checkpoint = convert_random_model(config_yaml, Path(tmp) / 'e2e', crops)
        row['end_to_end'] = end_to_end_parity(cfg, net, checkpoint, image, boxes)
        count = model_complexity(meta['config'], size)
        row['params_m'], row['gflops'] = count.params_m, count.gflops
    published = RELEASED_MODELS[model]
    row['published'] = (published.params_m, published.gflops) if published.params_m else None
    row['seconds'] = round(time.perf_counter() - start, 1)
    return row


def measure() -> dict:
    torch.set_num_threads(1)
    return dict(rows=[measure_one(model) for model in released_models()])


def table(result: dict) -> str:
    lines = [
        '| released model | config here | converts without --config | network: max logit diff, '
        'max px | end to end: max px | params (M) / GFLOPs here | H3R README |',
        '|---|---|---|---|---|---|---|',
    ]
    for row in result['rows']:
        if not row['converts']:
            lines.append(f'| `{row["model"]}` | - | n ({row["error"]}) | - | - | - | - |')
            continue
        net, e2e, published = row['network'], row['end_to_end'], row['published']
        paper = f'{published[0]:.2f} / {published[1]:.2f}' if published else 'not published'
        lines.append(
            f'| `{row["model"]}` | `{row["config"]}` | y | {net["max_logit_diff"]:.1e}, '
            f'{net["max_px"]:.1e} | {e2e["max_px"]:.1e} | '
            f'{row["params_m"]:.3f} / {row["gflops"]:.3f} | {paper} |'
        )
    return '\n'.join(lines)


def section(result: dict, results: dict) -> str:
    return '\n'.join(
        [
            f'## {TITLE}',
            '',
            "Each released `config.yaml` (key for key in `tests/fixtures/h3r_models`; H3R's "
            "`model.pth` files are not reachable here) gets random weights in H3R's network as "
            'rebuilt from its source (`rr_mmpose.testing.h3r_reference`: `torchalign` at H3R '
            f'commit {SOURCE_COMMIT[:7]}), BN statistics and '
            "logit scale fitted on the images checked, is written out as H3R's model "
            'directory and converted without `--config`. Network: logits and decoded landmarks '
            "of the converted model against the reference on one generated face at the model's "
            'size. End to end: `MMPoseInferencer` with `h3r_inference_config` against the '
            "reference's `FacialLandmarkDetector` pipeline on one generated face with two boxes "
            '(one past the image edges), flip test on; image pixels. Params and FLOPs as '
            "MMPose's `get_flops.py` counts them, next to H3R's published figures "
            '(`rr_mmpose.h3r.published`).',
            '',
            table(result),
        ]
    )


def run() -> dict:
    study.save('h3r_released_models', measure())
    return study.load('h3r_released_models')


if __name__ == '__main__':
    run()
