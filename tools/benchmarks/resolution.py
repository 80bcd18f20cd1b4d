"""Accuracy per FLOP at convergence: the paper's claim that randomized
rounding keeps its accuracy at low input and heatmap resolution, against
every MMPose heatmap codec, each model trained to its config's own
schedule (60 CPU epochs, scaled as in ``convergence``).

    python -m tools.benchmarks.resolution [--rows NAME ...] [--seeds 0 1 2] [--rerun]

Rows: MobileNetV2 at 64, 128 and 256 input and HRNet-W18 at 128 and 256,
each with randomized rounding (the shipped two-class spatial loss),
MMPose's MSRAHeatmap (its weights also decoded with DARK) and UDPHeatmap;
and at 128 input MobileNetV2's heatmap at strides 8 and 16 as well as the
paper's 4 (MMPose's ``FeatureMapProcessor`` resizes the fused stride-4
features by 1/2 or 1/4, bilinear, before H3R's head). Runs are stored in
``docs/benchmarks/resolution.json`` as each ends; a stopped study resumes
with the runs it lacks, in the order of ``ROWS`` (128 and 64 first, then
the stride ablation, 256, HRNet).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import rows, study
from .rows import DARK, Row

EPOCHS = 60  # the configs' own schedule, scaled
RR = 'two-class spatial'
PEERS = ('MSRA', DARK, 'UDP')


def mobilenet(objective: str, size: int, stride: int = 4, seeds=(0, 1, 2)) -> Row:
    return Row('mobilenetv2', objective, size, seeds, EPOCHS, stride)


def hrnet(objective: str, size: int, seeds: tuple[int, ...]) -> Row:
    return Row('hrnetv2-w18', objective, size, seeds, EPOCHS)


ROWS = [
    *(mobilenet(o, 128) for o in (RR, 'MSRA', 'UDP')),
    *(mobilenet(o, 64) for o in (RR, 'MSRA', 'UDP')),
    *(mobilenet(o, 128, stride, (0, 1)) for stride in (8, 16) for o in (RR, 'MSRA')),
    *(mobilenet(o, 256) for o in (RR, 'MSRA', 'UDP')),
    *(hrnet(o, 128, (0, 1)) for o in (RR, 'MSRA', 'UDP')),
    *(hrnet(o, 256, (0,)) for o in (RR, 'MSRA')),
]


def summarise(runs: list[dict]) -> list[dict]:
    return rows.summarise(runs, ROWS)


def paired_differences(runs: list[dict]) -> list[dict]:
    """Randomized rounding minus each peer at equal backbone, input and
    stride, over the seeds both have (None where fewer than two)."""
    out = []
    for row in ROWS:
        if row.objective != RR:
            continue
        ours = row.keys()[0]
        for peer in PEERS:
            theirs = (*ours[:3], peer, *ours[4:])
            diff = rows.paired_difference(runs, ours, theirs)
            if diff is not None:
                out.append(
                    dict(arch=row.arch, input=row.input, stride=row.stride, peer=peer, **diff)
                )
    return out


def pareto(points: list[tuple[float, float]]) -> list[bool]:
    """Which (gflops, nme) points no other point beats on both."""
    return [
        not any(g2 <= g and n2 <= n and (g2, n2) != (g, n) for g2, n2 in points) for g, n in points
    ]


def plot(entries: list[dict], path: Path) -> None:
    """NME against GFLOPs of every converged row (``entries``: label,
    gflops, nme, family), the Pareto front drawn through."""
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5.5))
    markers = {'randomized rounding': 'o', 'MSRA': 'v', DARK: '^', 'UDP': 's', 'SimCC': 'D'}
    front = pareto([(e['gflops'], e['nme']) for e in entries])
    for e, on_front in zip(entries, front):
        ax.scatter(
            e['gflops'],
            e['nme'],
            marker=markers.get(e['family'], 'x'),
            edgecolors='k' if on_front else 'none',
            s=40,
        )
        ax.annotate(
            e['label'],
            (e['gflops'], e['nme']),
            fontsize=6,
            xytext=(3, 3),
            textcoords='offset points',
        )
    best = sorted((e for e, f in zip(entries, front) if f), key=lambda e: e['gflops'])
    ax.plot(
        [e['gflops'] for e in best], [e['nme'] for e in best], 'k--', lw=0.8, label='Pareto front'
    )
    ax.set(
        xscale='log',
        yscale='log',
        xlabel='GFLOPs (MMPose counting)',
        ylabel='final NME % (generated faces, mean of seeds)',
    )
    ax.set_title('Accuracy per compute at convergence')
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run(chosen: list[Row], seeds: tuple[int, ...] | None = None, rerun: bool = False) -> dict:
    """Train the ``chosen`` rows' missing runs (all with ``rerun``)."""
    return rows.train('resolution', chosen, seeds, rerun)


def main() -> None:
    result = run(*study.row_arguments(__doc__.splitlines()[0], ROWS))
    for s in summarise(result['runs']):
        print(s['arch'], s['input'], s['stride'], s['row'], f'{s["final_mean"]:.2f}', s['seeds'])
    print(np.round([d['mean'] for d in paired_differences(result['runs'])], 3))


if __name__ == '__main__':
    main()
