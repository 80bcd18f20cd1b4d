"""Convergence: NME against epoch for the paper config's own recipe, scaled
to this CPU, with each training objective on the same network and data.

    python -m tools.benchmarks.convergence [--epochs 20] [--seeds 0 1] [--hrnet-epochs N]

Rows (MobileNetV2 128x128, the shipped 300W config's backbone, schedule
shape and augmentation; only head, loss and codec change):

  two-class per-pixel    H3R's released loss, PixelwiseTwoClassCELoss
  two-class spatial      the paper configs' default, TwoClassSpatialSoftmaxCELoss
  spatial softmax        SpatialSoftmaxCELoss, one logit map per keypoint
  MSRA                   MMPose's MSRAHeatmap + KeypointMSELoss (HeatmapHead)
  MSRA + DARK            the same MSRA models, decoded with DARK

``--hrnet-epochs N`` adds HRNet-W18 (the shipped 300W P2 HRNet config at 128x128
input), two-class spatial against MSRA, one seed.

The recipe is the paper config's: Adam at its learning rate, linear warm-up
over the same share of iterations as its 500 of 900 on WFLW (7500 faces,
8x64 per iteration, 15 iterations an epoch, 60 epochs), step decay x0.1 at
40/60 and 55/60 of the epochs. One CPU epoch is 240 generated faces at
batch 16: 15 iterations, as one WFLW epoch.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

PAPER_CONFIGS = {
    'mobilenetv2': 'td-hm_mobilenetv2_rr-8xb64-60e_300w-p2-128x128.py',
    'hrnetv2-w18': 'td-hm_hrnetv2-w18_rr-8xb64-60e_300w-p2-256x256.py',
}
ROWS = {
    'two-class per-pixel': 'PixelwiseTwoClassCELoss',
    'two-class spatial': 'TwoClassSpatialSoftmaxCELoss',
    'spatial softmax': 'SpatialSoftmaxCELoss',
    'MSRA': 'MSRA',
}
DARK = 'MSRA + DARK'
# The paper recipe on WFLW: 500 warm-up iterations of 60 * ceil(7500 / 512).
WARMUP_SHARE = 500 / (60 * 15)
NME_GOAL = 5.0  # % : "first epoch at which a row reaches 5 % NME"


def msra_codec(size: int, dark: bool = False) -> dict:
    # MMPose's face recipe: sigma 1.5 cells at stride 4, any input size.
    return dict(
        type='MSRAHeatmap',
        input_size=(size, size),
        heatmap_size=(size // 4, size // 4),
        sigma=1.5,
        unbiased=dark,
    )


def objective(cfg: Config, loss: str, size: int) -> None:
    """Swap head, loss and codec of ``cfg`` (in place) for ``loss``."""
    head = cfg.model.head
    channels, keypoints = head.in_channels, head.out_channels
    if loss == 'MSRA':
        codec = msra_codec(size)
        cfg.model.head = dict(
            type='HeatmapHead',
            in_channels=channels,
            out_channels=keypoints,
            deconv_out_channels=None,
            conv_out_channels=(channels,),  # H3R's 1x1 conv + BN + ReLU block
            conv_kernel_sizes=(1,),
            loss=dict(type='KeypointMSELoss', use_target_weight=True),
            decoder=codec,
        )
        cfg.model.test_cfg = dict(flip_test=True, flip_mode='heatmap', shift_heatmap=True)
    else:
        codec = dict(head.decoder)
        head.loss = dict(type=loss, use_target_weight=True)
    cfg.codec = codec
    for step in cfg.train_dataloader.dataset.pipeline:
        if step.type == 'GenerateTarget':
            step.encoder = codec


def build_config(
    arch: str,
    loss: str,
    seed: int,
    epochs: int,
    data_root: Path,
    work_dir: Path,
    num_train: int,
    size: int = 128,
    batch: int = 16,
    num_test: int = 150,
) -> Config:
    from rr_mmpose import config_path

    cfg = Config.fromfile(config_path('face_2d_keypoint/rr_heatmap/300w/' + PAPER_CONFIGS[arch]))
    cfg.work_dir = str(work_dir)
    cfg.randomness = dict(seed=seed)
    cfg.model.backbone.init_cfg = None  # from scratch: no download here
    for step in cfg.train_dataloader.dataset.pipeline + cfg.val_dataloader.dataset.pipeline:
        if step.type == 'TopdownAffine':
            step.input_size = (size, size)
    cfg.model.head.decoder = dict(cfg.model.head.decoder)
    cfg.model.head.decoder.update(input_size=(size, size), heatmap_size=(size // 4, size // 4))
    objective(cfg, loss, size)

    iterations = epochs * (num_train // batch)
    scheduler = {s.type: s for s in cfg.param_scheduler}
    warmup = scheduler['LinearLR']
    steps = scheduler['MultiStepLR']
    cfg.param_scheduler = [
        dict(warmup, end=max(1, round(WARMUP_SHARE * iterations))),
        dict(
            steps,
            end=epochs,
            milestones=[round(m * epochs / steps.end) for m in steps.milestones],
        ),
    ]
    cfg.train_cfg = dict(by_epoch=True, max_epochs=epochs, val_interval=1)
    cfg.auto_scale_lr = dict(enable=False)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=-1, save_last=False)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=50)
    cfg.visualizer.vis_backends = [dict(type='LocalVisBackend')]
    for name in ('train_dataloader', 'val_dataloader'):
        loader = cfg[name]
        loader.batch_size = batch
        loader.num_workers = 1
        loader.persistent_workers = True
        loader.dataset.type = 'Face300WDataset'
        loader.dataset.data_root = str(data_root)
        loader.dataset.data_prefix = dict(img='images/')
    cfg.train_dataloader.dataset.ann_file = 'annotations/face_landmarks_300w_train.json'
    cfg.train_dataloader.dataset.indices = num_train
    cfg.val_dataloader.dataset.ann_file = 'annotations/face_landmarks_300w_test.json'
    cfg.val_dataloader.dataset.indices = num_test
    cfg.test_dataloader = cfg.val_dataloader
    return cfg


class NMECurve(Hook):
    """Records NME (%) after every validation; with ``dark``, also
    re-validates the same weights decoded by DARK."""

    def __init__(self, dark_codec: dict | None = None) -> None:
        self.nme: list[float] = []
        self.dark_nme: list[float] = []
        self.dark_codec = dark_codec
        self._revalidating = False

    def after_val_epoch(self, runner, metrics=None) -> None:
        if self._revalidating:
            return
        self.nme.append(100 * float(metrics['NME']))
        if self.dark_codec is None:
            return
        from mmpose.registry import KEYPOINT_CODECS

        head = runner.model.head
        plain = head.decoder
        head.decoder = KEYPOINT_CODECS.build(self.dark_codec)
        self._revalidating = True
        try:
            self.dark_nme.append(100 * float(runner.val_loop.run()['NME']))
        finally:
            self._revalidating = False
            head.decoder = plain


def run_one(
    arch, row, seed, epochs, data_root, work_root, num_train, batch, num_test, size=128
) -> list[dict]:
    loss = ROWS[row]
    work_dir = work_root / f'{arch}-{row.replace(" ", "_")}-seed{seed}'
    cfg = build_config(
        arch, loss, seed, epochs, data_root, work_dir, num_train, size, batch, num_test
    )
    runner = Runner.from_cfg(cfg)
    curve = NMECurve(msra_codec(size, dark=True) if loss == 'MSRA' else None)
    runner.register_hook(curve, priority='LOWEST')
    start = time.perf_counter()
    runner.train()
    seconds = time.perf_counter() - start
    common = dict(arch=arch, input=size, seed=seed, epochs=epochs, num_train=num_train, batch=batch)
    out = [dict(common, row=row, nme=curve.nme, train_seconds=seconds)]
    if curve.dark_nme:
        out.append(dict(common, row=DARK, nme=curve.dark_nme, train_seconds=seconds))
    return out


def first_epoch_below(curve: list[float], goal: float = NME_GOAL) -> int | None:
    return next((i + 1 for i, v in enumerate(curve) if v < goal), None)


def summarise(runs: list[dict]) -> list[dict]:
    out = []
    for arch in dict.fromkeys(r['arch'] for r in runs):
        for row in [*ROWS, DARK]:
            cell = [r for r in runs if r['arch'] == arch and r['row'] == row]
            if not cell:
                continue
            final = [r['nme'][-1] for r in cell]
            reached = [first_epoch_below(r['nme']) for r in cell]
            out.append(
                dict(
                    arch=arch,
                    row=row,
                    seeds=len(cell),
                    final_mean=float(np.mean(final)),
                    final_spread=float(np.ptp(final)),
                    first_below_goal=reached,
                    curve_mean=np.mean([r['nme'] for r in cell], 0).tolist(),
                )
            )
    return out


def table(summary: list[dict]) -> str:
    lines = [
        f'| backbone | objective | final NME % (mean ± half-spread) | seeds | '
        f'first epoch < {NME_GOAL:g} % (per seed) |',
        '|---|---|---|---|---|',
    ]
    for s in summary:
        reached = ', '.join('never' if e is None else str(e) for e in s['first_below_goal'])
        lines.append(
            f'| {s["arch"]} | {s["row"]} | {s["final_mean"]:.2f} ± {s["final_spread"] / 2:.2f} '
            f'| {s["seeds"]} | {reached} |'
        )
    return '\n'.join(lines)


def describe(
    epochs: int, seeds: tuple[int, ...], num_train: int, batch: int, hrnet_epochs: int | None
) -> str:
    text = (
        f'Each row trains MobileNetV2 128x128 (the shipped 300W P2 config: backbone, '
        f'augmentation, Adam 2e-3, warm-up over {100 * WARMUP_SHARE:.0f} % of the iterations '
        f'as its 500 of 900 on WFLW, x0.1 steps at 2/3 and 11/12 of the epochs) from scratch '
        f'on {num_train} generated faces per epoch at batch {batch} ({num_train // batch} '
        f'iterations, as one WFLW epoch at 8x64) for {epochs} epochs, seeds {list(seeds)}; '
        f'only head, loss '
        f'and codec change. NME (outer eye corners) on the generated test faces after every '
        f"epoch, flip test on. MSRA is MMPose's MSRAHeatmap (sigma 1.5 cells, as its face "
        f'recipe) with KeypointMSELoss and a HeatmapHead of the same 1x1 conv block; '
        f'"MSRA + DARK" decodes the same weights with DARK.'
    )
    if hrnet_epochs:
        text += (
            f' HRNet-W18 rows: the shipped 300W P2 HRNet config at 128x128 input, '
            f'{hrnet_epochs} epochs, seed {seeds[0]}.'
        )
    return text


def section(summary: list[dict], description: str) -> str:
    return '\n'.join(
        [
            '## Convergence',
            '',
            description,
            '',
            table(summary),
            '',
            '![NME against epoch](benchmarks/convergence.png)',
        ]
    )


def update_docs(markdown: Path, text: str) -> None:
    """Replace (or append) the ``## Convergence`` section of ``markdown``."""
    lines = markdown.read_text().splitlines() if markdown.is_file() else ['# Benchmarks']
    start = next((i for i, line in enumerate(lines) if line == '## Convergence'), None)
    if start is None:
        lines += ['', *text.splitlines()]
    else:
        end = next(
            (i for i in range(start + 1, len(lines)) if lines[i].startswith('## ')), len(lines)
        )
        lines[start:end] = [*text.splitlines(), *([''] if end < len(lines) else [])]
    markdown.write_text('\n'.join(lines) + '\n')


def plot(summary: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for s in summary:
        style = '--' if s['arch'] != 'mobilenetv2' else '-'
        epochs = np.arange(1, len(s['curve_mean']) + 1)
        ax.plot(epochs, s['curve_mean'], style, marker='.', label=f'{s["arch"]}: {s["row"]}')
    ax.axhline(NME_GOAL, color='grey', lw=0.8, ls=':')
    ax.set_yscale('log')
    ax.set_ylim(top=150)  # DARK on the flat maps of the first epochs runs far off
    ax.set_xlabel('epoch')
    ax.set_ylabel('NME % (generated test faces, mean of seeds)')
    ax.set_title('Convergence at 128x128, paper recipe scaled to CPU')
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run_study(
    epochs: int = 20,
    seeds: tuple[int, ...] = (0, 1),
    num_train: int = 240,
    batch: int = 16,
    num_test: int = 150,
    hrnet_epochs: int | None = None,
    data_root: Path = Path('data/synthetic_faces'),
    work_dir: Path = Path('work_dirs/convergence'),
    out: Path | None = Path('docs/benchmarks'),
) -> list[dict]:
    torch.set_num_threads(2)
    if not (data_root / 'annotations/face_landmarks_300w_test.json').is_file():
        from rr_mmpose.datasets import generate_dataset

        generate_dataset(data_root)
    plan = [('mobilenetv2', row, seed, epochs) for seed in seeds for row in ROWS]
    if hrnet_epochs:
        plan += [
            ('hrnetv2-w18', row, seeds[0], hrnet_epochs) for row in ('two-class spatial', 'MSRA')
        ]
    runs = []
    for arch, row, seed, n in plan:
        for run in run_one(arch, row, seed, n, data_root, work_dir, num_train, batch, num_test):
            runs.append(run)
            print(json.dumps(run), flush=True)
        if out is not None:  # keep what is done if a later run is cut short
            out.mkdir(parents=True, exist_ok=True)
            (out / 'convergence.json').write_text(json.dumps(dict(runs=runs), indent=1))
    summary = summarise(runs)
    if out is not None:
        result = dict(runs=runs, summary=summary)
        (out / 'convergence.json').write_text(json.dumps(result, indent=1))
        plot(summary, out / 'convergence.png')
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--epochs', type=int, default=20)
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1])
    parser.add_argument('--num-train', type=int, default=240)
    parser.add_argument('--batch', type=int, default=16)
    parser.add_argument('--num-test', type=int, default=150)
    parser.add_argument('--hrnet-epochs', type=int, help='add the HRNet-W18 rows')
    parser.add_argument('--data-root', type=Path, default=Path('data/synthetic_faces'))
    parser.add_argument('--work-dir', type=Path, default=Path('work_dirs/convergence'))
    parser.add_argument('--out', type=Path, default=Path('docs/benchmarks'))
    args = parser.parse_args()
    seeds = tuple(args.seeds)
    summary = run_study(
        args.epochs,
        seeds,
        args.num_train,
        args.batch,
        args.num_test,
        args.hrnet_epochs,
        args.data_root,
        args.work_dir,
        args.out,
    )
    text = section(
        summary, describe(args.epochs, seeds, args.num_train, args.batch, args.hrnet_epochs)
    )
    print(text)
    update_docs(args.out.parent / 'benchmarks.md', text)


if __name__ == '__main__':
    main()
