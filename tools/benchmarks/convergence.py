"""Learning speed: NME against epoch, each model with its shipped config's
own recipe scaled to this CPU for 20 epochs, a third of the configs' own
schedule, on the generated faces.

    python -m tools.benchmarks.convergence [--rows NAME ...] [--seeds 0 1] [--rerun]

Each row is a shipped config with only its head, loss and codec changed
(or none): see ``ROWS`` and :mod:`tools.benchmarks.rows`. Runs are stored
in ``docs/benchmarks/convergence.json`` as each ends, each with its
provenance; a stopped study resumes with the runs it lacks.
``docs/benchmarks.md`` is rendered from that file by
``python -m tools.benchmarks.run_all``. The models at convergence are the
``resolution`` (heatmaps) and ``rtmpose`` studies'.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import rows, study
from .rows import HEATMAP_OBJECTIVES, NME_GOAL, Row

TITLE = 'Learning speed (20 epochs)'  # of its section

EPOCHS = Row.epochs  # the learning-speed budget: a third of the configs' 60
COMMAND = 'python -m tools.benchmarks.convergence --rerun'
ROWS = [
    *(Row('mobilenetv2', objective, 128) for objective in list(HEATMAP_OBJECTIVES)[:4]),
    Row('hrnetv2-w18', 'two-class spatial', 128, seeds=(0,)),
    Row('hrnetv2-w18', 'MSRA', 128, seeds=(0,)),
    *(
        Row('rtmpose-t', objective, 128)
        for objective in ('SimCCLabel s=2', 'RR s=2', 'RR s=1', 'RR s=0.5', 'RR expected s=1')
    ),
    Row('mobilenetv2', 'two-class spatial', 64),
    Row('mobilenetv2', 'MSRA', 64),
    Row('rtmpose-t', 'SimCCLabel s=2', 64),
    Row('rtmpose-t', 'RR s=1', 64),
]


def summarise(runs: list[dict]) -> list[dict]:
    return rows.summarise(runs, ROWS)


DESCRIPTION = (
    'Each row trains a shipped config from scratch on the generated faces with only its head, '
    'loss, codec and input size changed, its own recipe scaled to the CPU: one epoch is '
    '{num_train} generated faces at batch {batch} ({iterations} iterations, as one WFLW epoch at '
    '8x64), {epochs} epochs; warm-ups keep their share of the iterations, learning-rate steps '
    'and stage switches their share of the epochs. MobileNetV2 and HRNet-W18 are the 300W P2 '
    'paper configs (Adam 2e-3, warm-up over {warmup:.0f} % of the iterations as their 500 of '
    '60 x 15 on WFLW, x0.1 steps at 2/3 and 11/12 of the epochs). RTMPose-t is the shipped '
    "`rr_simcc/300w` RTMPose-t config, MMPose's RTMPose WFLW recipe (AdamW 4e-3, warm-up "
    "longer than the run, cosine decay over the second half, EMA, MMPose's augmentation with "
    'Albumentation and a milder last stage); its rows change the SimCC split ratio s and the '
    "codec: `SimCCLabel` is RTMPose's own (Gaussian labels, sigma {simcc_sigma} bins at 256 "
    'input and s = 2, scaled to the input; KLDiscretLoss beta 10 with label softmax), `RR` is '
    '`RandomizedRoundingSimCC` with KLDiscretLoss(label_softmax=False), `RR expected` trains on '
    'its two-hot expectation instead of random draws. NME (outer eye corners) on {num_test} '
    "generated test faces after every epoch, flip test on. MSRA is MMPose's MSRAHeatmap "
    "(sigma {sigma} cells, MMPose's face recipe) with KeypointMSELoss and a HeatmapHead with "
    'the same 1x1 conv block as the RR head; "MSRA + DARK" decodes the same weights with DARK.'
)


def section(result: dict, results: dict) -> str:
    costs = results.get('costs')
    lines = [
        f'## {TITLE}',
        '',
        rows.training_provenance(rows.trainings(result['runs']), COMMAND),
        '',
        describe(),
        '',
        rows.table(summarise(result['runs']), costs),
        *rows.paragraph(rows.still_to_run(ROWS, result['runs'])),
        '',
        '![NME against epoch](benchmarks/convergence.png)',
    ]
    return '\n'.join(lines)


def describe() -> str:
    return DESCRIPTION.format(
        warmup=100 * rows.PAPER_WARMUP_SHARE,
        num_train=rows.NUM_TRAIN,
        batch=rows.BATCH,
        iterations=rows.NUM_TRAIN // rows.BATCH,
        epochs=EPOCHS,
        num_test=rows.NUM_TEST,
        sigma=study.MSRA_SIGMA_CELLS,
        simcc_sigma=study.SIMCC_SIGMA_AT_256,
    )


def figure(result: dict, results: dict, path: Path) -> None:
    """The section's figure, drawn by the renderer (``run_all``)."""
    plot(summarise(result['runs']), path)


def plot(summary: list[dict], path: Path) -> None:
    """NME against epoch, one line per row (mean of its seeds)."""
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5))
    for s in summary:
        style = {'mobilenetv2': '-', 'hrnetv2-w18': '--'}.get(s['arch'], ':')
        epochs = np.arange(1, len(s['curve_mean']) + 1)
        label = f'{s["arch"]} {s["input"]}: {s["row"]}'
        ax.plot(epochs, s['curve_mean'], style, marker='.', label=label)
    ax.axhline(NME_GOAL, color='grey', lw=0.8, ls=':')
    ax.set_yscale('log')
    ax.set_ylim(top=150)  # DARK on the flat maps of the first epochs runs far off
    ax.set(xlabel='epoch', ylabel='NME % (generated test faces, mean of seeds)')
    ax.set_title('Learning speed, shipped recipes scaled to the CPU (20 epochs)')
    ax.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run(chosen: list[Row], seeds: tuple[int, ...] | None = None, rerun: bool = False) -> dict:
    """Train the ``chosen`` rows' missing runs (all with ``rerun``)."""
    return rows.train('convergence', chosen, seeds, rerun)


def main() -> None:
    print(rows.table(summarise(run(*study.row_arguments(__doc__.splitlines()[0], ROWS))['runs'])))


if __name__ == '__main__':
    main()
