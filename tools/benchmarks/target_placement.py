"""Where MMPose places the Gaussian training targets of the resolution
study's peers: the share of training targets whose peak is not the
keypoint's own heatmap cell.

    python -m tools.benchmarks.target_placement [--epochs 3]

MMPose 1.3.2 draws each MSRA or UDP target in a window of radius 3 sigma
around the keypoint's cell. At sigma 1.5 cells, the setting of MMPose's
300W heatmap config and of the studies, that radius is fractional (at
WFLW's sigma 2 it is whole, and nothing moves), and a window that starts
left of (or above) the map has its start truncated
towards zero instead of rounded down: the Gaussian lands one cell right of
(below) the keypoint, for every keypoint less than 4.5 cells from the left
(top) border. MMPose's unbiased targets (the DARK rows) are computed on the
whole grid and stay in place. The share of moved targets grows as the
heatmap shrinks. It is counted on the resolution study's own training
pipeline (seed 0, augmentation included), with MMPose's own encoders; no
network is involved.
"""

from __future__ import annotations

import argparse
import random
import tempfile
from pathlib import Path

import numpy as np

from . import resolution, rows, study

TITLE = 'Where MMPose places Gaussian targets'  # of its section

# (input, heatmap stride) of the resolution study's MobileNetV2 rows
CASES = ((64, 4), (128, 4), (128, 8), (128, 16), (256, 4))
OBJECTIVES = ('MSRA', 'UDP', 'DARK')


def own_cells(keypoints: np.ndarray, codec) -> np.ndarray:
    """Each keypoint's nearest heatmap cell, (K, 2) integer x, y, in
    ``codec``'s own scaling (its ``scale_factor``, as its encoder divides by)."""
    return np.floor(keypoints / codec.scale_factor + 0.5).astype(np.int64)


def peak_cells(heatmaps: np.ndarray) -> np.ndarray:
    """The maximum of each heatmap (K, H, W), as (K, 2) integer x, y."""
    num, _, width = heatmaps.shape
    flat = heatmaps.reshape(num, -1).argmax(axis=1)
    return np.stack([flat % width, flat // width], axis=1)


def count_moved(codec, samples, heatmap: int) -> tuple[int, int]:
    """(targets, moved): of the visible keypoints whose own cell lies on the
    map, how many ``codec`` (an MMPose heatmap codec) draws with their peak
    elsewhere. ``samples``: pipeline outputs with ``transformed_keypoints``
    (1, K, 2) and ``keypoints_visible`` (1, K)."""
    targets = moved = 0
    for sample in samples:
        keypoints, visible = sample['transformed_keypoints'], sample['keypoints_visible']
        encoded = codec.encode(keypoints, visible)
        own = own_cells(keypoints[0], codec)
        counted = (
            (visible[0] > 0.5)
            & (encoded['keypoint_weights'][0] > 0)
            & ((own >= 0) & (own < heatmap)).all(axis=1)
        )
        off = (peak_cells(encoded['heatmaps']) != own).any(axis=1)
        targets += int(counted.sum())
        moved += int((counted & off).sum())
    return targets, moved


def training_samples(objective: str, size: int, stride: int, epochs: int):
    """The resolution row's training samples, ``epochs`` passes of its
    pipeline up to the crop, and its codec (built)."""
    from mmengine.registry import init_default_scope
    from mmpose.registry import DATASETS, KEYPOINT_CODECS

    from rr_mmpose.datasets import generated_faces

    init_default_scope('mmpose')
    with tempfile.TemporaryDirectory() as work_dir:
        row = resolution.mobilenet(objective, size, stride)
        cfg = rows.row_config(row, 0, generated_faces(study.DATA), Path(work_dir))
    dataset_cfg = cfg.train_dataloader.dataset
    dataset_cfg.pipeline = [
        t for t in dataset_cfg.pipeline if t['type'] not in ('GenerateTarget', 'PackPoseInputs')
    ]
    dataset = DATASETS.build(dataset_cfg)
    random.seed(0)
    np.random.seed(0)
    samples = (dataset[i] for _ in range(epochs) for i in range(len(dataset)))
    return samples, KEYPOINT_CODECS.build(cfg.codec)


def measure(epochs: int = 3, cases=CASES, objectives=OBJECTIVES) -> dict:
    out = []
    for size, stride in cases:
        for objective in objectives:
            samples, codec = training_samples(objective, size, stride, epochs)
            heatmap = size // stride
            targets, moved = count_moved(codec, samples, heatmap)
            out.append(
                dict(
                    input=size,
                    stride=stride,
                    heatmap=heatmap,
                    objective=objective,
                    targets=targets,
                    moved=moved,
                    share=moved / targets,
                )
            )
    import mmpose

    return dict(
        epochs=epochs, sigma_cells=study.MSRA_SIGMA_CELLS, mmpose=mmpose.__version__, rows=out
    )


def radius(result: dict) -> float:
    """The target window's radius in cells: MMPose's 3 sigma."""
    return 3 * result['sigma_cells']


def share(result: dict | None, size: int, stride: int, objective: str) -> float | None:
    """The stored share of moved targets, or None where not measured."""
    for r in (result or {}).get('rows', []):
        if (r['input'], r['stride'], r['objective']) == (size, stride, objective):
            return r['share']
    return None


def table(result: dict) -> str:
    objectives = list(dict.fromkeys(r['objective'] for r in result['rows']))
    cases = list(dict.fromkeys((r['input'], r['stride'], r['heatmap']) for r in result['rows']))
    lines = [
        '| input | stride (heatmap) | ' + ' | '.join(objectives) + ' |',
        '|---' * (len(objectives) + 2) + '|',
    ]
    for size, stride, heatmap in cases:
        cells = [f'{100 * share(result, size, stride, o):.1f} %' for o in objectives]
        lines.append(f'| {size} | {stride} ({heatmap}²) | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def section(result: dict, results: dict) -> str:
    sigma, reach = result['sigma_cells'], radius(result)
    full_size = share(result, 256, 4, 'MSRA')
    few = (
        ''
        if full_size is None
        else f" MMPose's own face configs use 64² heatmaps, where {100 * full_size:.0f} % move."
    )
    return '\n'.join(
        [
            f'## {TITLE}',
            '',
            "Share of the resolution study's training targets whose peak is not the keypoint's "
            f"own heatmap cell: MMPose {result['mmpose']}'s encoders at sigma {sigma:g} cells, "
            f"on {result['epochs']} passes of each row's training pipeline (seed 0, "
            'augmentation included), visible keypoints whose cell lies on the map. MSRA and UDP '
            f'draw each target in a window of radius 3 sigma = {reach:g} cells; where that window '
            'starts left of (above) the map, MMPose truncates its start towards zero instead of '
            'rounding it down, and the Gaussian lands one cell right of (below) the keypoint. '
            f'Every keypoint less than {reach:g} cells from the left or top border moves, so the '
            f"share grows as the heatmap shrinks.{few} DARK's unbiased targets are computed "
            'on the whole grid and stay in place. The MSRA, MSRA + DARK and UDP rows of the '
            'resolution study train on these targets as MMPose ships them; the DARK rows show '
            'what a Gaussian target placed exactly does.',
            '',
            table(result),
        ]
    )


def run(epochs: int = 3) -> dict:
    study.save('target_placement', measure(epochs))
    return study.load('target_placement')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--epochs', type=int, default=3, help='passes of each training pipeline')
    args = parser.parse_args()
    if args.epochs < 1:
        parser.error(f'--epochs must be at least 1, got {args.epochs}')
    run(args.epochs)


if __name__ == '__main__':
    main()
