"""What every study shares: paths, the generated data, the baselines (one
sigma rule), one train-and-evaluate loop, timing, and the provenance tag
each result carries.

Studies run from the repository root (``python -m tools.benchmarks.<name>``);
every path here is relative to the working directory, and shipped configs
are found through :func:`rr_mmpose.config_path`.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shlex
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
import torch
from mmengine.hooks import Hook
from torch import nn

OUT = Path('docs/benchmarks')  # results (JSON, plots); docs/benchmarks.md is rendered from them
DATA = Path('data/generated_faces')  # the generated faces, made on first use
WORK = Path('work_dirs/benchmarks')  # training logs

# MMPose's face recipe (its HRNetV2 WFLW / 300W / COCO-WholeBody-Face
# configs) labels 64x64 heatmaps with sigma 1.5. Every study keeps that
# width in heatmap cells at every input and heatmap size, so a baseline's
# target covers the same share of cells as in MMPose's own configs.
MSRA_SIGMA_CELLS = 1.5
# RTMPose's face configs (rtmpose-*_8xb256-120e_*-256x256.py) use SimCC
# sigma 5.66 bins at split ratio 2 for 256 input, i.e. 2.83 input px; the
# studies scale it with the input size, as those configs scale it between
# body inputs.
SIMCC_SIGMA_AT_256 = 5.66


def machine() -> str:
    """CPU model and instruction sets, core count, GPU, Python and torch
    versions of this machine."""
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path('/proc/cpuinfo').read_text().splitlines():
            if line.startswith('model name'):
                cpu = line.split(':', 1)[1].strip()
                break
    except OSError:
        pass
    from rr_mmpose.deployment.runtime import isa_name

    gpu = f', {torch.cuda.get_device_name()}' if torch.cuda.is_available() else ', no GPU'
    return (
        f'{cpu} ({isa_name()}), {os.cpu_count()} cores{gpu}, '
        f'Python {platform.python_version()}, torch {torch.__version__.split("+")[0]}'
    )


# What can change a measurement: the code and the configs (results, docs
# and the pages rendered from them cannot).
CODE = ('rr_mmpose', 'tools', ':(glob)configs/**/*.py', 'requirements', 'setup.py')


def commit() -> str:
    """The repository's commit, with ``-dirty`` where tracked code or
    configs differ from it ('unknown' outside a git checkout)."""
    import subprocess

    def git(*args: str) -> str:
        return subprocess.run(
            ['git', *args], capture_output=True, text=True, check=True
        ).stdout.strip()

    try:
        head = git('rev-parse', '--short', 'HEAD')
        dirty = git('status', '--porcelain', '--untracked-files=no', '--', *CODE)
        return head + ('-dirty' if dirty else '')
    except (OSError, subprocess.CalledProcessError):
        return 'unknown'


def provenance(command: str | None = None) -> dict:
    """When, where, at which commit and by which command a result was
    measured."""
    if command is None:
        module = sys.modules['__main__'].__spec__
        name = module.name if module else sys.argv[0]
        command = shlex.join(['python', '-m', name, *sys.argv[1:]])
    return dict(
        date=str(datetime.date.today()), machine=machine(), commit=commit(), command=command
    )


def save(name: str, result: dict, tag: bool = True) -> Path:
    """Write ``OUT/<name>.json``, tagged with its provenance unless its
    parts carry their own (``tag=False``); returns the path."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f'{name}.json'
    result = dict(result)
    if tag:
        result['provenance'] = provenance()
    path.write_text(json.dumps(result, indent=1) + '\n')
    return path


def load(name: str) -> dict | None:
    path = OUT / f'{name}.json'
    return json.loads(path.read_text()) if path.is_file() else None


def rerun_command(name: str, tag: dict | None = None) -> str:
    """The one command that reproduces study ``name``'s result: the command
    ``tag`` recorded when it ran the study itself, else the study with its
    defaults (what ``run_all`` runs: results it measured say so)."""
    own = f'python -m tools.benchmarks.{name}'
    recorded = (tag or {}).get('command', '')
    return recorded if recorded == own or recorded.startswith(own + ' ') else own


MAX_COMMITS_LISTED = 4  # each run's own commit stays in its result file


def provenance_lines(tags: list[dict], command: str, noun: str = 'run') -> str:
    """Markdown: how to rerun a section's results (``command``, shown once)
    and, compactly, when, where and at which commits its ``tags`` (one per
    ``noun``) were measured; each run's own tag keeps its exact command in
    the result file."""

    if not tags:
        return f'- Not measured yet: `{command}`'

    def dates(values: list[str]) -> str:
        values = sorted(set(values))
        return values[0] if len(values) == 1 else f'{values[0]} to {values[-1]}'

    machines = sorted({t['machine'] for t in tags})
    # in the order they were first used; a long list shows its ends only
    commits = list(
        dict.fromkeys(
            t.get('commit', 'not recorded') for t in sorted(tags, key=lambda t: t['date'])
        )
    )
    if len(commits) <= MAX_COMMITS_LISTED:
        at = f'at commit{"" if len(commits) == 1 else "s"} ' + ', '.join(commits)
    else:
        at = f'at {len(commits)} commits, {commits[0]} to {commits[-1]}'
    notes = sorted({t['note'] for t in tags if t.get('note')})
    lines = [
        f'- Rerun: `{command}`',
        f'- Measured: {dates([t["date"] for t in tags])}, {len(tags)} {noun}'
        f'{"" if len(tags) == 1 else "s"}, {at}',
        *(f'- On: {m}' for m in machines),
        *(f'- Note: {n}' for n in notes),
    ]
    return '\n'.join(lines)


def median_seconds(fn: Callable[[], object], repeats: int, warmup: int = 2) -> float:
    """Median wall time of ``repeats`` calls after ``warmup`` calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


# ------------------------------------------------------------ onnxruntime


class Network(nn.Module):
    """Backbone, neck and head, without decoding: what a stock model exports."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, inputs: torch.Tensor):
        return self.model.head.forward(self.model.extract_feat(inputs))


def decodes_in_graph(codec: dict) -> bool:
    """Randomized rounding models carry their decode in the ONNX graph."""
    return codec['type'].startswith('RandomizedRounding')


def export_for_onnxruntime(model: nn.Module, codec: dict, path: Path, crop: torch.Tensor) -> Path:
    """``model`` as deployment runs it: with its decode in the graph
    (``export_onnx``) when :func:`decodes_in_graph`, else its
    :class:`Network` alone, for the host to decode with its MMPose codec."""
    from rr_mmpose.deployment import export_graph, export_onnx

    if decodes_in_graph(codec):
        return export_onnx(model, path)
    names = ['x', 'y'] if codec['type'] == 'SimCCLabel' else ['maps']
    return export_graph(Network(model), [crop], path, ['input'], names)


def onnxruntime_ms(
    session, crop: np.ndarray, codec: dict, repeats: int, warmup: int = 3
) -> tuple[float, float]:
    """Median milliseconds of ``session`` on ``crop`` (1, 3, h, w), and of
    the host's decode of its outputs with ``codec`` (0 when
    :func:`decodes_in_graph`), one instance as MMPose's heads decode."""
    from mmpose.registry import KEYPOINT_CODECS

    run = partial(session.run, None, {'input': crop})
    graph = median_seconds(run, repeats, warmup)
    host = 0.0
    if not decodes_in_graph(codec):
        outputs = [t[0] for t in run()]
        host = median_seconds(
            partial(KEYPOINT_CODECS.build(codec).decode, *outputs), repeats, warmup
        )
    return 1e3 * graph, 1e3 * host


# ---------------------------------------------------------------- baselines


def msra_codec(input_size: int, heatmap_size: int, dark: bool = False) -> dict:
    """MMPose's MSRAHeatmap at the studies' sigma rule (optionally DARK)."""
    return dict(
        type='MSRAHeatmap',
        input_size=(input_size, input_size),
        heatmap_size=(heatmap_size, heatmap_size),
        sigma=MSRA_SIGMA_CELLS,
        unbiased=dark,
    )


def msra_head(in_channels: int, num_keypoints: int, codec: dict) -> tuple[dict, dict]:
    """MMPose's HeatmapHead with H3R's 1x1 conv + BN + ReLU block and
    KeypointMSELoss, and its heatmap flip test: ``(head, test_cfg)``."""
    head = dict(
        type='HeatmapHead',
        in_channels=in_channels,
        out_channels=num_keypoints,
        deconv_out_channels=None,
        conv_out_channels=(in_channels,),
        conv_kernel_sizes=(1,),
        loss=dict(type='KeypointMSELoss', use_target_weight=True),
        decoder=codec,
    )
    return head, dict(flip_test=True, flip_mode='heatmap', shift_heatmap=True)


def udp_codec(input_size: int, heatmap_size: int) -> dict:
    """MMPose's UDPHeatmap (its Gaussian targets) at the studies' sigma rule."""
    return dict(
        type='UDPHeatmap',
        input_size=(input_size, input_size),
        heatmap_size=(heatmap_size, heatmap_size),
        sigma=MSRA_SIGMA_CELLS,
    )


def udp_head(in_channels: int, num_keypoints: int, codec: dict) -> tuple[dict, dict]:
    """:func:`msra_head` with UDP's flip test, as MMPose's UDP configs set
    it (the flipped heatmap is not shifted): ``(head, test_cfg)``."""
    head, _ = msra_head(in_channels, num_keypoints, codec)
    return head, dict(flip_test=True, flip_mode='heatmap', shift_heatmap=False)


def use_udp_crops(cfg) -> None:
    """Every ``TopdownAffine`` of the config crops with UDP
    (``use_udp=True``), as MMPose's UDP configs do."""
    for pipeline in pipelines(cfg):
        for step in pipeline:
            if step.type == 'TopdownAffine':
                step.use_udp = True


def simcc_label(input_size: int, split_ratio: float = 2.0) -> dict:
    """MMPose's SimCCLabel as RTMPose's face configs set it, sigma scaled
    to the input."""
    sigma = SIMCC_SIGMA_AT_256 * input_size / 256
    return dict(
        type='SimCCLabel',
        input_size=(input_size, input_size),
        sigma=(sigma, sigma),
        simcc_split_ratio=split_ratio,
        normalize=False,
        use_dark=False,
    )


LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def pipelines(cfg) -> list[list]:
    """Every data pipeline of a config: its loaders' and the one a
    ``PipelineSwitchHook`` switches to (RTMPose's second stage)."""
    found = [cfg[name].dataset.pipeline for name in LOADERS]
    found += [h.switch_pipeline for h in cfg.get('custom_hooks', []) if 'switch_pipeline' in h]
    return found


def use_codec(cfg, codec: dict) -> None:
    """Make ``codec`` the config's one codec: variable, head decoder and
    every ``GenerateTarget`` encoder."""
    cfg.codec = codec
    cfg.model.head.decoder = codec
    for pipeline in pipelines(cfg):
        for step in pipeline:
            if step.type == 'GenerateTarget':
                step.encoder = codec


# A config's authoring variables: MMEngine substitutes them where a config
# file uses them, and no runner reads them afterwards. A study that changes
# the substituted copies drops them, so that the config it dumps into a work
# directory says only what trained (not, say, a stock row beside the shipped
# config's randomized-rounding ``train_pipeline``).
AUTHORING_VARIABLES = (
    'max_epochs',
    'base_lr',
    'stage2_num_epochs',
    'data_root',
    'train_pipeline',
    'train_pipeline_stage2',
    'val_pipeline',
    'test_pipeline',
)


def drop_authoring_variables(cfg) -> None:
    """Remove :data:`AUTHORING_VARIABLES` from a built config."""
    for name in AUTHORING_VARIABLES:
        cfg.pop(name, None)


def set_input_size(cfg, size: int) -> None:
    """Every ``TopdownAffine`` of the config crops to ``size`` x ``size``."""
    for pipeline in pipelines(cfg):
        for step in pipeline:
            if step.type == 'TopdownAffine':
                step.input_size = (size, size)


# ------------------------------------------------------- train and evaluate


class NMECurve(Hook):
    """Records NME (%) after every validation; ``redecoders`` (name ->
    codec config) re-validate the same weights with another decoder (e.g.
    DARK on an MSRA model), each recorded as a curve of its own."""

    priority = 'LOWEST'

    def __init__(self, redecoders: dict[str, dict] | None = None) -> None:
        self.redecoders = redecoders or {}
        self.nme: list[float] = []
        self.redecoded: dict[str, list[float]] = {name: [] for name in self.redecoders}
        self._busy = False

    def after_val_epoch(self, runner, metrics=None) -> None:
        if self._busy:  # the re-validations below call this hook too
            return
        from mmpose.registry import KEYPOINT_CODECS

        self.nme.append(100 * float(metrics['NME']))
        head = runner.model.head
        plain = head.decoder
        self._busy = True
        try:
            for name, codec in self.redecoders.items():
                head.decoder = KEYPOINT_CODECS.build(codec)
                self.redecoded[name].append(100 * float(runner.val_loop.run()['NME']))
        finally:
            self._busy = False
            head.decoder = plain


def train_and_evaluate(cfg, redecoders: dict[str, dict] | None = None) -> dict:
    """Train ``cfg`` with MMEngine's Runner, validating every
    ``val_interval`` epochs. Returns the NME curve (``nme``), one curve per
    re-decoder (``redecoded``) and the training wall time."""
    from mmengine.runner import Runner

    runner = Runner.from_cfg(cfg)
    curve = NMECurve(redecoders)
    runner.register_hook(curve, priority='LOWEST')
    start = time.perf_counter()
    runner.train()
    seconds = time.perf_counter() - start
    return dict(nme=curve.nme, redecoded=curve.redecoded, train_seconds=seconds)


def scale_schedule(
    cfg, epochs: int, iterations_per_epoch: int, warmup_share: float, full_iterations: int
) -> None:
    """Shrink a config's schedule to ``epochs`` of ``iterations_per_epoch``:
    the LinearLR warm-up keeps ``warmup_share`` of the iterations, epoch
    milestones (MultiStepLR steps, CosineAnnealingLR's span, RTMPose's
    pipeline switch) keep their share of the epochs, and RTMPose's EMA its
    momentum schedule's share of the iterations (``full_iterations``: those
    of the full recipe)."""
    full_epochs = cfg.train_cfg.max_epochs
    total = epochs * iterations_per_epoch

    def epoch(e: int) -> int:
        return round(e * epochs / full_epochs)

    scheduled = []
    for s in cfg.param_scheduler:
        s = dict(s)
        if s['type'] == 'LinearLR':
            s.update(begin=0, end=max(1, round(warmup_share * total)), by_epoch=False)
        elif s['type'] == 'MultiStepLR':
            s.update(begin=0, end=epochs, milestones=[epoch(m) for m in s['milestones']])
        elif s['type'] == 'CosineAnnealingLR':
            s.update(begin=epoch(s['begin']), end=epoch(s['end']))
            s['T_max'] = s['end'] - s['begin']
            if s['T_max'] < 1:
                raise ValueError(f'the cosine decay vanishes at {epochs} epochs: {s}')
        scheduled.append(s)
    cfg.param_scheduler = scheduled
    for hook in cfg.get('custom_hooks', []):
        if 'switch_epoch' in hook:
            hook.switch_epoch = epoch(hook.switch_epoch)
        if hook.get('ema_type') == 'ExpMomentumEMA':  # its momentum decays with gamma steps
            hook.gamma = hook.get('gamma', 2000) * total / full_iterations
    cfg.train_cfg = dict(by_epoch=True, max_epochs=epochs, val_interval=1)
    cfg.auto_scale_lr = dict(enable=False)


def row_arguments(description: str, rows: list) -> tuple[list, tuple | None, bool]:
    """Parse a training study's command line (``--rows``, ``--seeds``,
    ``--rerun``): ``(chosen rows, seeds or None for each row's own, rerun
    the runs already stored)``; an unknown row name is a usage error."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('--rows', nargs='+', help=f'names from: {[r.name for r in rows]}')
    parser.add_argument('--seeds', type=int, nargs='+')
    parser.add_argument('--rerun', action='store_true', help='train again the runs already stored')
    args = parser.parse_args()
    unknown = set(args.rows or ()) - {r.name for r in rows}
    if unknown:
        parser.error(f'unknown rows {sorted(unknown)}')
    chosen = [r for r in rows if not args.rows or r.name in args.rows]
    return chosen, tuple(args.seeds) if args.seeds else None, args.rerun
