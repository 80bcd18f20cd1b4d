"""Localisation error of each codec's ideal prediction, per resolution.

No network: each codec decodes its own target (or, for randomized
rounding, the loss optimum / one draw / the mean of N draws). Errors in input pixels.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from . import study
from .codec_zoo import INPUT, all_ideal_decoders, sample_points

TITLE = 'Quantization error of the ideal prediction'  # of its section

HEATMAPS = (64, 32, 16, 8)


def measure(num_points: int = 4000, heatmaps=HEATMAPS, seed: int = 0, chunk: int = 200) -> dict:
    rows = []
    for heatmap in heatmaps:
        points = sample_points(np.random.default_rng(seed), num_points, heatmap)
        for name, decode in all_ideal_decoders(heatmap).items():
            decoded = np.concatenate(
                [decode(points[:, i : i + chunk]) for i in range(0, num_points, chunk)], axis=1
            )
            err = decoded[0] - points[0]
            dist = np.linalg.norm(err, axis=1)
            rows.append(
                dict(
                    codec=name,
                    stride=INPUT // heatmap,
                    heatmap=heatmap,
                    mean=float(dist.mean()),
                    p95=float(np.percentile(dist, 95)),
                    bias_x=float(err[:, 0].mean()),
                    bias_y=float(err[:, 1].mean()),
                )
            )
    return dict(num_points=num_points, rows=rows)


def table(rows: list) -> str:
    strides = sorted({r['stride'] for r in rows})
    codecs = list(dict.fromkeys(r['codec'] for r in rows))
    cell = {(r['codec'], r['stride']): r for r in rows}
    head = '| codec | ' + ' | '.join(f'stride {s} ({INPUT // s}x{INPUT // s})' for s in strides)
    lines = [head + ' |', '|---' * (len(strides) + 1) + '|']
    for c in codecs:
        vals = [cell[(c, s)] for s in strides]
        lines.append(
            f'| {c} | ' + ' | '.join(f'{v["mean"]:.4f} / {v["p95"]:.4f}' for v in vals) + ' |'
        )
    return '\n'.join(lines)


def figure(result: dict, results: dict, path: Path) -> None:
    """The section's figure, drawn by the renderer (``run_all``)."""
    plot(result['rows'], path)


def plot(rows: list, path: Path) -> None:
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for codec in dict.fromkeys(r['codec'] for r in rows):
        pts = sorted((r['stride'], max(r['mean'], 1e-6)) for r in rows if r['codec'] == codec)
        ax.plot(*zip(*pts), marker='o', label=codec)
    ax.set(
        xscale='log',
        yscale='log',
        xlabel='stride (input px per heatmap cell)',
        ylabel='mean error of the ideal prediction (input px)',
        title=f'Codec quantization error, {INPUT}x{INPUT} input',
    )
    ax.set_xticks([4, 8, 16, 32], labels=['4', '8', '16', '32'])
    ax.grid(True, which='both', alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def section(result: dict, results: dict) -> str:
    return '\n'.join(
        [
            f'## {TITLE}',
            '',
            'Mean / 95th percentile localisation error in input pixels, '
            f'{INPUT}x{INPUT} input, {result["num_points"]} uniformly sub-pixel points per '
            'resolution (kept 6 cells from the border where the map allows). No network: each '
            'codec decodes its own target. Settings: Gaussian codecs sigma '
            f"{study.MSRA_SIGMA_CELLS} cells (the studies' rule), DARK blur 11; SimCC split "
            "ratio 8 / stride (2.0 at stride 4, as RTMPose), sigma as RTMPose's 256x256 face "
            'configs in input px; randomized rounding top-k 9 decoding log-probabilities. '
            '"RR expected" decodes the loss optimum, the expected target; "RR one draw" one '
            'binary target, and "RR mean of N draws" the average of N; the SimCC rows '
            "(split ratio 8 / stride) decode their ideal logits alone or as RTMCCHead's flip "
            "test averages them with the mirrored image's, and `RR-SimCC` is "
            '`RandomizedRoundingSimCC` on its loss optimum; "H3R literal '
            'decoder" applies H3R\'s softmax of raw keypoint logits to the per-pixel two-class '
            'loss optimum (l0 = 0). UDP is measured in its own convention: its crop and encode '
            'take the box as [0, input - 1] px and its decode returns [0, input] px, which '
            "MMPose's estimator maps onto the box, so its decode is scaled back by "
            '(input - 1) / input, as that round trip does. At stride 32 most points lie within '
            "3 sigma of the map border, where MMPose's Gaussian targets with a fractional radius "
            '(3 x 1.5 cells) are placed a cell off: their window start, negative there, is '
            'truncated towards zero instead of rounded down ([counted on the training '
            'targets](#target_placement)).',
            '',
            table(result['rows']),
            '',
            '![quantization](benchmarks/quantization.png)',
        ]
    )


def run(num_points: int = 4000) -> dict:
    study.save('quantization', measure(num_points))
    return study.load('quantization')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--points', type=int, default=4000)
    args = parser.parse_args()
    run(args.points)


if __name__ == '__main__':
    main()
