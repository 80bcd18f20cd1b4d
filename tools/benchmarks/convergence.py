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
# The full recipes run 60 epochs of ceil(7500 / 512) = 15 iterations on WFLW.
FULL_ITERATIONS = 60 * 15
# Their warm-ups: the paper configs' 500 iterations, RTMPose's 1000 (which
# outlasts its WFLW run: its learning rate never finishes warming up).
PAPER_WARMUP_SHARE = 500 / FULL_ITERATIONS
# RTMPose-t on 300W: MMPose's RTMPose WFLW recipe with RTMPose-t's backbone
# and head, and randomized rounding; the stock rows put SimCCLabel back.
RTMPOSE_CONFIG = 'face_2d_keypoint/rr_simcc/300w/rtmpose-t_rr-8xb64-60e_300w-128x128.py'
RTMPOSE_WARMUP_SHARE = 1000 / FULL_ITERATIONS
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
    epochs: int | None = None  # a study's budget for this row (None: the study's own)

    @property
    def name(self) -> str:
        return f'{self.arch} {self.input} {self.objective}'

    def work_dir(self, study_name: str, seed: int, epochs: int) -> Path:
        """Where a study trains this row at ``seed`` for ``epochs``."""
        return study.WORK / study_name / f'{self.name.replace(" ", "_")}-seed{seed}-{epochs}e'

    @property
    def redecoded(self) -> tuple[str, ...]:
        return (DARK,) if self.objective == 'MSRA' else ()


# RTMPose-t objectives: (codec, split ratio s); 'SimCCLabel' is RTMPose's
# own (face settings: Gaussian labels, sigma scaled to the input, loss with
# label softmax), 'RR' RandomizedRoundingSimCC with its loss setting.
SIMCC_OBJECTIVES = {
    'SimCCLabel s=2': ('SimCCLabel', 2.0),
    'RR s=2': ('random', 2.0),
    'RR s=1': ('random', 1.0),
    'RR s=0.5': ('random', 0.5),
    'RR expected s=1': ('expected', 1.0),
}
ROWS = [
    *(Row('mobilenetv2', objective, 128) for objective in HEATMAP_LOSSES),
    Row('hrnetv2-w18', 'two-class spatial', 128, seeds=(0,)),
    Row('hrnetv2-w18', 'MSRA', 128, seeds=(0,)),
    *(Row('rtmpose-t', objective, 128) for objective in SIMCC_OBJECTIVES),
    Row('mobilenetv2', 'two-class spatial', 64),
    Row('mobilenetv2', 'MSRA', 64),
    Row('rtmpose-t', 'SimCCLabel s=2', 64),
    Row('rtmpose-t', 'RR s=1', 64),
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


def rtmpose_config(objective: str, size: int):
    """The shipped RTMPose-t 300W config at ``size`` input with the codec
    (and, for stock SimCC, the loss) of ``objective``."""
    from mmengine.config import Config

    from rr_mmpose import config_path

    cfg = Config.fromfile(config_path(RTMPOSE_CONFIG))
    study.set_input_size(cfg, size)
    target, split = SIMCC_OBJECTIVES[objective]
    head = cfg.model.head
    head.update(input_size=(size, size), in_featuremap_size=(size // 32, size // 32))
    head.simcc_split_ratio = split
    if target == 'SimCCLabel':
        codec = study.simcc_label(size, split)
        head.loss.label_softmax = True  # RTMPose's own setting
    else:
        codec = dict(cfg.codec, input_size=(size, size), simcc_split_ratio=split)
        codec['target_mode'] = target
    study.use_codec(cfg, codec)
    return cfg


@dataclass(frozen=True)
class RTMPoseRecipe:
    """How the study trains an RTMPose row from scratch. ``None`` keeps
    MMPose's recipe, scaled as the heatmap rows' are; every other value is
    a deviation from it.

    Attributes:
        lr: AdamW's learning rate at the study's batch (MMPose: 4e-3 for a
            total batch of 512)
        warmup_share: Share of the iterations the linear warm-up takes
            (MMPose: 1000 iterations, longer than its own WFLW run)
        pipeline: ``'stage2'`` trains with the config's milder second-stage
            pipeline throughout (MMPose: the heavy one until the last sixth)
        num_train: Generated training faces per epoch
    """

    lr: float | None = None
    warmup_share: float | None = None
    pipeline: str | None = None
    num_train: int | None = None

    def apply(self, cfg) -> None:
        if self.lr is not None:
            cfg.optim_wrapper.optimizer.lr = self.lr
            for s in cfg.param_scheduler:
                if 'eta_min' in s:  # MMPose's cosine ends at 5 % of the base rate
                    s['eta_min'] = self.lr * 0.05
        if self.pipeline == 'stage2':
            hooks = cfg.custom_hooks
            switch = next(h for h in hooks if h.type == 'mmdet.PipelineSwitchHook')
            cfg.train_dataloader.dataset.pipeline = switch.switch_pipeline
            cfg.custom_hooks = [h for h in hooks if h is not switch]
        elif self.pipeline is not None:
            raise ValueError(f'pipeline must be None or stage2, got {self.pipeline!r}')


# MMPose's RTMPose recipe as the 20-epoch learning-speed rows train it.
MMPOSE_RTMPOSE_RECIPE = RTMPoseRecipe()


def seeded_albumentation(cfg) -> None:
    """Every ``Albumentation`` step of the config draws from numpy's seeded
    generator (:class:`rr_mmpose.datasets.SeededAlbumentation`), so that a
    run repeats: albumentations seeds its own generators from the system."""
    for pipeline in study.pipelines(cfg):
        for step in pipeline:
            if step.type == 'Albumentation':
                step.type = 'SeededAlbumentation'


def row_config(
    row: Row,
    seed: int,
    epochs: int,
    data_root: Path,
    work_dir: Path,
    recipe: RTMPoseRecipe = MMPOSE_RTMPOSE_RECIPE,
):
    """The config of ``row`` at ``seed``, trained for ``epochs`` on the
    generated faces at ``data_root``; an RTMPose row follows ``recipe``."""
    num_train = NUM_TRAIN
    if row.arch == 'rtmpose-t':
        cfg = rtmpose_config(row.objective, row.input)
        seeded_albumentation(cfg)
        recipe.apply(cfg)
        warmup_share = recipe.warmup_share or RTMPOSE_WARMUP_SHARE
        num_train = recipe.num_train or NUM_TRAIN
    else:
        cfg = heatmap_config(row.arch, row.objective, row.input)
        warmup_share = PAPER_WARMUP_SHARE
    from rr_mmpose.testing import on_generated_faces

    on_generated_faces(
        cfg,
        data_root,
        batch_size=BATCH,
        num_workers=1,
        num_train=num_train,
        num_test=NUM_TEST,
        work_dir=work_dir,
    )
    cfg.randomness = dict(seed=seed)
    study.scale_schedule(cfg, epochs, num_train // BATCH, warmup_share, FULL_ITERATIONS)
    return cfg


def redecoder(row: Row, name: str) -> dict:
    assert name == DARK
    return study.msra_codec(row.input, row.input // 4, dark=True)


def run_row(
    row: Row,
    seed: int,
    epochs: int,
    data_root: Path,
    recipe: RTMPoseRecipe = MMPOSE_RTMPOSE_RECIPE,
    work_dir: Path | None = None,
) -> list[dict]:
    """Train ``row`` at ``seed`` and return its runs (the row's and its
    re-decoded rows'), each with its NME curve and provenance."""
    work_dir = work_dir or row.work_dir('convergence', seed, epochs)
    cfg = row_config(row, seed, epochs, data_root, work_dir, recipe)
    # The last checkpoint, for the studies that use trained models (trained_model).
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=-1, save_last=True)
    result = study.train_and_evaluate(cfg, {n: redecoder(row, n) for n in row.redecoded})
    common = dict(
        arch=row.arch,
        input=row.input,
        seed=seed,
        epochs=epochs,
        num_train=cfg.train_dataloader.dataset.indices,
        batch=BATCH,
        train_seconds=result['train_seconds'],
        provenance=study.provenance(),
    )
    runs = [dict(common, row=row.objective, nme=result['nme'])]
    runs += [dict(common, row=n, nme=curve) for n, curve in result['redecoded'].items()]
    return runs


def trained_model(row: Row, seed: int = 0):
    """``(model, cfg)``: this study's run of ``row`` at ``seed``, loaded from
    its last checkpoint, for the studies that use trained models. A missing
    run is made first, and recorded in this study's results as any run is,
    so that those studies and this one measure the same weights."""
    from mmpose.apis import init_model

    from rr_mmpose.datasets import generated_faces

    epochs = row.epochs or EPOCHS
    work_dir = row.work_dir('convergence', seed, epochs)
    checkpoint = work_dir / f'epoch_{epochs}.pth'
    if not checkpoint.is_file():
        run([row], (seed,), epochs)
    cfg = row_config(row, seed, epochs, generated_faces(study.DATA), work_dir)
    # MMEngine's EMAHook saves the EMA weights as the checkpoint's state_dict.
    return init_model(cfg, str(checkpoint), device='cpu'), cfg


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


def table(summary: list[dict], costs: dict | None = None) -> str:
    """The study's table; with ``costs`` (``tools.benchmarks.costs``) each
    row also says what it costs: parameters, FLOPs, latency, throughput."""
    cost = {(c['arch'], c['input'], c['row']): c for c in (costs or {}).get('rows', [])}
    head = (
        '| backbone | input | objective | final NME % (mean ± half-spread) | seeds | '
        f'first epoch < {NME_GOAL:g} % (per seed) |'
    )
    if cost:
        head += (
            ' params (M) | GFLOPs | latency ms: onnxruntime + host decode | '
            'train img/s vs stock | inference img/s vs stock |'
        )
    lines = [head, '|---' * head.count(' | ') + '|---|']
    for s in summary:
        reached = ', '.join('never' if e is None else str(e) for e in s['first_below_goal'])
        line = (
            f'| {s["arch"]} | {s["input"]} | {s["row"]} | {s["final_mean"]:.2f} ± '
            f'{s["final_half_spread"]:.2f} | {len(s["seeds"])} | {reached} |'
        )
        c = cost.get((s['arch'], s['input'], s['row']))
        if c:
            line += (
                f' {c["params_m"]:.2f} | {c["gflops"]:.3f} | {c["onnxruntime_ms"]:.2f} + '
                f'{c["host_decode_ms"]:.2f} | {c["train_vs_stock"]:.2f} | '
                f'{c["infer_vs_stock"]:.2f} |'
            )
        elif cost:
            line += ' - | - | - | - | - |'
        lines.append(line)
    return '\n'.join(lines)


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


def section(result: dict) -> str:
    costs = study.load('costs')
    lines = [
        '## Convergence',
        '',
        study.provenance_line([r['provenance'] for r in result['runs']]),
        '',
        describe(),
        '',
        table(summarise(result['runs']), costs),
        '',
        '![NME against epoch](benchmarks/convergence.png)',
    ]
    if costs:
        lines += [
            '',
            'Costs: ' + study.provenance_line([costs['provenance']]) + ' ' + COSTS,
            '',
            '![NME against GFLOPs](benchmarks/convergence_gflops.png)',
        ]
    return '\n'.join(lines)


COSTS = (
    "Params and GFLOPs as MMPose counts them, at the row's input. Latency: batch 1, two "
    'onnxruntime threads, medians; randomized rounding rows carry their decode in the graph '
    "(host decode 0), the others decode on the host with their MMPose codec, as MMPose's "
    'heads do. Throughput: training is the train pipeline of a batch of 16 generated faces '
    '(loading, augmentation, targets) plus one optimiser step, inference is `test_step` with '
    'flip test on 16 crops; rows timed in turn over 5 rounds, medians, as ratios against the '
    'stock row of the same backbone and input (MSRA, or SimCCLabel for RTMPose-t).'
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
        simcc_sigma=study.SIMCC_SIGMA_AT_256,
    )


def plot(summary: list[dict], path: Path, costs: dict | None = None) -> None:
    """NME against epoch; with ``costs``, also NME against GFLOPs beside it
    (``convergence_gflops.png``)."""
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
    ax.set_title('Convergence, shipped recipes scaled to the CPU')
    ax.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    if not costs:
        return
    cost = {(c['arch'], c['input'], c['row']): c for c in costs['rows']}
    fig, ax = plt.subplots(figsize=(8, 5))
    for s in summary:
        c = cost.get((s['arch'], s['input'], s['row']))
        if c is None or s['final_mean'] > 20:  # the per-pixel loss does not learn
            continue
        marker = 'o' if s['input'] == 128 else 's'
        ax.scatter(c['gflops'], s['final_mean'], marker=marker)
        ax.annotate(
            f'{s["arch"]} {s["input"]} {s["row"]}',
            (c['gflops'], s['final_mean']),
            fontsize=6,
            xytext=(3, 3),
            textcoords='offset points',
        )
    ax.set(xscale='log', xlabel='GFLOPs (MMPose counting)', ylabel='final NME %')
    ax.set_title('Accuracy per compute (o: 128 input, s: 64 input)')
    fig.tight_layout()
    fig.savefig(path.with_name('convergence_gflops.png'), dpi=110)
    plt.close(fig)


def run(rows: list[Row], seeds: tuple[int, ...] | None, epochs: int) -> dict:
    """Train ``rows`` (their own seeds, or ``seeds``) and merge the runs
    into the stored result, which is saved after every run."""
    import torch

    from rr_mmpose.datasets import generated_faces

    torch.set_num_threads(2)
    data_root = generated_faces(study.DATA)
    stored = study.load('convergence') or dict(runs=[])
    runs = {study.run_key(r): r for r in stored['runs']}
    for row in rows:
        for seed in seeds or row.seeds:
            for r in run_row(row, seed, epochs, data_root):
                runs[study.run_key(r)] = r
                print(json.dumps(dict(r, nme=r['nme'][-1])), flush=True)
            result = dict(runs=list(runs.values()))
            result['summary'] = summarise(result['runs'])
            study.save('convergence', result, tag=False)  # runs carry their own
    plot(result['summary'], study.OUT / 'convergence.png', study.load('costs'))
    return result


def main() -> None:
    rows, seeds, epochs = study.row_arguments(__doc__.splitlines()[0], ROWS, EPOCHS)
    print(table(run(rows, seeds, epochs)['summary']))


if __name__ == '__main__':
    main()
