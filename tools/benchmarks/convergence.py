"""Convergence: NME against epoch, each model with its shipped config's own
recipe scaled to this CPU, on the generated faces.

    python -m tools.benchmarks.convergence [--rows NAME ...] [--seeds 0 1] [--epochs 20]

Each row is a shipped config with only its head, loss and codec changed
(or none): see ``ROWS``. Finished runs are kept in
``docs/benchmarks/convergence.json`` (each with its provenance) and rerun
only when asked (``--rows``, ``--seeds``); ``docs/benchmarks.md`` is
rendered from that file by ``python -m tools.benchmarks.run_all``.

The recipe, scaled: one CPU epoch is 240 generated faces at batch 16, 15
iterations, as one WFLW epoch at 8x64 (7500 faces). The warm-up keeps its
share of the iterations (the paper configs: 500 of 60 x 15) and the
learning-rate steps their share of the epochs. NME (outer eye corners) on
150 generated test faces after every epoch, flip test on.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import study

EPOCHS, SEEDS, NUM_TRAIN, BATCH, NUM_TEST = 20, (0, 1), 240, 16, 150
NME_GOAL = 5.0  # %: "first epoch at which a row reaches 5 % NME"
PAPER_CONFIGS = {
    arch: f'face_2d_keypoint/rr_heatmap/300w/td-hm_{arch}_rr-8xb64-60e_300w-p2-{size}x{size}.py'
    for arch, size in (('mobilenetv2', 128), ('hrnetv2-w18', 256))
}
# The paper configs' warm-up: 500 iterations of 60 epochs x ceil(7500 / 512).
PAPER_WARMUP_SHARE = 500 / (60 * 15)
HEATMAP_LOSSES = {
    'two-class per-pixel': 'PixelwiseTwoClassCELoss',
    'two-class spatial': 'TwoClassSpatialSoftmaxCELoss',
    'spatial softmax': 'SpatialSoftmaxCELoss',
    'MSRA': None,  # MMPose's MSRAHeatmap + KeypointMSELoss (study.msra_head)
}
DARK = 'MSRA + DARK'  # the MSRA weights, re-decoded with DARK


@dataclass(frozen=True)
class Row:
    """One trained model of the study; ``redecoded`` rows come with it."""

    arch: str
    objective: str
    input: int
    seeds: tuple[int, ...] = SEEDS

    @property
    def name(self) -> str:
        return f'{self.arch} {self.input} {self.objective}'

    @property
    def redecoded(self) -> tuple[str, ...]:
        return (DARK,) if self.objective == 'MSRA' else ()


ROWS = [
    *(Row('mobilenetv2', objective, 128) for objective in HEATMAP_LOSSES),
    Row('hrnetv2-w18', 'two-class spatial', 128, seeds=(0,)),
    Row('hrnetv2-w18', 'MSRA', 128, seeds=(0,)),
]


def heatmap_config(arch: str, objective: str, size: int):
    """The shipped 300W P2 paper config of ``arch`` at ``size`` input, with
    the head, loss and codec of ``objective``."""
    from mmengine.config import Config

    from rr_mmpose import config_path

    cfg = Config.fromfile(config_path(PAPER_CONFIGS[arch]))
    study.set_input_size(cfg, size)
    heatmap = size // 4
    head = cfg.model.head
    if objective == 'MSRA':
        codec = study.msra_codec(size, heatmap)
        cfg.model.head, cfg.model.test_cfg = study.msra_head(
            head.in_channels, head.out_channels, codec
        )
    else:
        codec = dict(cfg.codec, input_size=(size, size), heatmap_size=(heatmap, heatmap))
        head.loss = dict(type=HEATMAP_LOSSES[objective], use_target_weight=True)
    study.use_codec(cfg, codec)
    return cfg


def row_config(row: Row, seed: int, epochs: int, data_root: Path, work_dir: Path):
    cfg = heatmap_config(row.arch, row.objective, row.input)
    warmup_share = PAPER_WARMUP_SHARE
    from rr_mmpose.testing import on_generated_faces

    on_generated_faces(
        cfg,
        data_root,
        batch_size=BATCH,
        num_workers=1,
        num_train=NUM_TRAIN,
        num_test=NUM_TEST,
        work_dir=work_dir,
    )
    cfg.randomness = dict(seed=seed)
    study.scale_schedule(cfg, epochs, NUM_TRAIN // BATCH, warmup_share)
    return cfg


def redecoder(row: Row, name: str) -> dict:
    assert name == DARK
    return study.msra_codec(row.input, row.input // 4, dark=True)


def run_row(row: Row, seed: int, epochs: int, data_root: Path) -> list[dict]:
    work_dir = study.WORK / 'convergence' / f'{row.name.replace(" ", "_")}-seed{seed}'
    cfg = row_config(row, seed, epochs, data_root, work_dir)
    result = study.train_and_evaluate(cfg, {n: redecoder(row, n) for n in row.redecoded})
    common = dict(
        arch=row.arch,
        input=row.input,
        seed=seed,
        epochs=epochs,
        num_train=NUM_TRAIN,
        batch=BATCH,
        train_seconds=result['train_seconds'],
        provenance=study.provenance(),
    )
    runs = [dict(common, row=row.objective, nme=result['nme'])]
    runs += [dict(common, row=n, nme=curve) for n, curve in result['redecoded'].items()]
    return runs


def run_key(run: dict) -> tuple:
    return run['arch'], run['input'], run['row'], run['seed']


def first_epoch_below(curve: list[float], goal: float = NME_GOAL) -> int | None:
    return next((i + 1 for i, v in enumerate(curve) if v < goal), None)


def summarise(runs: list[dict]) -> list[dict]:
    """One entry per (arch, input, objective), in the order of ``ROWS``."""
    order = []
    for row in ROWS:
        order += [
            (row.arch, row.input, row.objective),
            *((row.arch, row.input, n) for n in row.redecoded),
        ]
    out = []
    for arch, size, objective in order:
        cell = [r for r in runs if (r['arch'], r['input'], r['row']) == (arch, size, objective)]
        if not cell:
            continue
        final = [r['nme'][-1] for r in cell]
        out.append(
            dict(
                arch=arch,
                input=size,
                row=objective,
                seeds=[r['seed'] for r in cell],
                final_mean=float(np.mean(final)),
                final_half_spread=float(np.ptp(final) / 2),
                first_below_goal=[first_epoch_below(r['nme']) for r in cell],
                curve_mean=np.mean([r['nme'] for r in cell], 0).tolist(),
                dates=sorted({r['provenance']['date'] for r in cell}),
            )
        )
    return out


def table(summary: list[dict]) -> str:
    lines = [
        '| backbone | input | objective | final NME % (mean ± half-spread) | seeds | '
        f'first epoch < {NME_GOAL:g} % (per seed) |',
        '|---|---|---|---|---|---|',
    ]
    for s in summary:
        reached = ', '.join('never' if e is None else str(e) for e in s['first_below_goal'])
        lines.append(
            f'| {s["arch"]} | {s["input"]} | {s["row"]} | {s["final_mean"]:.2f} ± '
            f'{s["final_half_spread"]:.2f} | {len(s["seeds"])} | {reached} |'
        )
    return '\n'.join(lines)


DESCRIPTION = (
    'Each row trains a shipped config from scratch on the generated faces with only its head, '
    'loss and codec changed: MobileNetV2 and HRNet-W18 are the 300W P2 paper configs (Adam '
    '2e-3, warm-up over {warmup:.0f} % of the iterations as their 500 of 60 x 15 on WFLW, x0.1 '
    'steps at 2/3 and 11/12 of the epochs, their augmentation). One epoch is {num_train} '
    'generated faces at batch {batch} ({iterations} iterations, as one WFLW epoch at 8x64); '
    '{epochs} epochs. NME (outer eye corners) on {num_test} generated test faces after every '
    "epoch, flip test on. MSRA is MMPose's MSRAHeatmap (sigma {sigma} cells, MMPose's face "
    'recipe) with KeypointMSELoss and a HeatmapHead with the same 1x1 conv block as the RR '
    'head; "MSRA + DARK" decodes the same weights with DARK.'
)


def section(result: dict) -> str:
    return '\n'.join(
        [
            '## Convergence',
            '',
            study.provenance_line([r['provenance'] for r in result['runs']]),
            '',
            describe(),
            '',
            table(summarise(result['runs'])),
            '',
            '![NME against epoch](benchmarks/convergence.png)',
        ]
    )


def describe() -> str:
    return DESCRIPTION.format(
        warmup=100 * PAPER_WARMUP_SHARE,
        num_train=NUM_TRAIN,
        batch=BATCH,
        iterations=NUM_TRAIN // BATCH,
        epochs=EPOCHS,
        num_test=NUM_TEST,
        sigma=study.MSRA_SIGMA_CELLS,
    )


def plot(summary: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    for s in summary:
        style = '-' if s['arch'] == 'mobilenetv2' else '--'
        epochs = np.arange(1, len(s['curve_mean']) + 1)
        label = f'{s["arch"]} {s["input"]}: {s["row"]}'
        ax.plot(epochs, s['curve_mean'], style, marker='.', label=label)
    ax.axhline(NME_GOAL, color='grey', lw=0.8, ls=':')
    ax.set_yscale('log')
    ax.set_ylim(top=150)  # DARK on the flat maps of the first epochs runs far off
    ax.set(xlabel='epoch', ylabel='NME % (generated test faces, mean of seeds)')
    ax.set_title('Convergence, shipped recipes scaled to the CPU')
    ax.legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run(rows: list[Row], seeds: tuple[int, ...] | None, epochs: int) -> dict:
    """Train ``rows`` (their own seeds, or ``seeds``) and merge the runs
    into the stored result, which is saved after every run."""
    import torch

    torch.set_num_threads(2)
    data_root = study.generated_faces()
    stored = study.load('convergence') or dict(runs=[])
    runs = {run_key(r): r for r in stored['runs']}
    for row in rows:
        for seed in seeds or row.seeds:
            for r in run_row(row, seed, epochs, data_root):
                runs[run_key(r)] = r
                print(json.dumps(dict(r, nme=r['nme'][-1])), flush=True)
            result = dict(runs=list(runs.values()))
            result['summary'] = summarise(result['runs'])
            study.save('convergence', result, tag=False)  # runs carry their own
    plot(result['summary'], study.OUT / 'convergence.png')
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rows', nargs='+', help=f'names from: {[r.name for r in ROWS]}')
    parser.add_argument('--seeds', type=int, nargs='+')
    parser.add_argument('--epochs', type=int, default=EPOCHS)
    args = parser.parse_args()
    chosen = [r for r in ROWS if not args.rows or r.name in args.rows]
    unknown = set(args.rows or ()) - {r.name for r in ROWS}
    if unknown:
        parser.error(f'unknown rows {sorted(unknown)}')
    result = run(chosen, tuple(args.seeds) if args.seeds else None, args.epochs)
    print(table(result['summary']))


if __name__ == '__main__':
    main()
