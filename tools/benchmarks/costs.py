"""What each model of the training studies costs: parameters, FLOPs,
onnxruntime latency with the decode included, and training and inference
throughput as ratios against the stock codec of its family, measured side
by side in one run.

    python -m tools.benchmarks.costs

- Latency: batch 1, ``THREADS`` onnxruntime threads, medians. Randomized
  rounding models export with their decode in the graph
  (``rr_mmpose.deployment.export_onnx``); the others export the network
  and decode on the host with their MMPose codec, as MMPose's heads do, and
  that decode time is added.
- Throughput: training is the train pipeline (loading, augmentation,
  target encoding) of a batch of ``BATCH`` generated faces plus one
  optimiser step; inference is ``test_step`` (flip test, decode) on a batch
  of ``BATCH`` crops. Rows are timed in turn, ``REPEATS`` rounds, medians;
  ratios are against the stock row of the same backbone and input (MSRA for
  heatmaps, SimCCLabel for RTMPose).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from . import convergence, resolution, rows, rtmpose, study

TITLE = 'Costs of the trained rows'  # of its section

THREADS, BATCH, REPEATS = 2, 16, 5
LATENCY_RUNS = 10  # onnxruntime calls per row in each of the REPEATS rounds
STOCK = {'mobilenetv2': 'MSRA', 'hrnetv2-w18': 'MSRA', 'rtmpose-t': 'SimCCLabel s=2'}
# The resolution study's peers run one network at one backbone, input and
# stride (MMPose's HeatmapHead, K channels): only the codec, decoded on the
# host, differs, so their graph times differ by noise alone.
SAME_GRAPH = resolution.PEERS


def stock_rows() -> str:
    """``STOCK`` in words: 'MSRA for mobilenetv2 and hrnetv2-w18, ...'."""
    archs: dict[str, list[str]] = {}
    for arch, objective in STOCK.items():
        archs.setdefault(objective, []).append(arch)
    return ', '.join(f'{objective} for {" and ".join(names)}' for objective, names in archs.items())


def row_models(row: rows.Row) -> list[tuple[str, object, dict]]:
    """(objective, config, decoder) for the row and its re-decoded rows."""
    from rr_mmpose.datasets import generated_faces

    data_root = generated_faces(study.DATA)
    cfg = rows.row_config(row, 0, data_root, study.WORK)
    models = [(row.objective, cfg, cfg.codec)]
    models += [(name, cfg, rows.redecoder(row, name)) for name in row.redecoded]
    return models


def build(cfg):
    from mmengine.model import revert_sync_batchnorm
    from mmpose.registry import MODELS

    return revert_sync_batchnorm(MODELS.build(cfg.model)).eval()


def latency_step(cfg, decoder: dict, path: Path) -> Callable[[], tuple[float, float]]:
    """A callable timing one round: (median onnxruntime ms at batch 1, median
    ms of the host decode added) over :data:`LATENCY_RUNS` calls. The model
    is exported to ``path`` once; each round opens its own session, so that
    only one is ever open: an idle session's threads slow the one timed
    (measured in the CHANGELOG, 2026-12-06, late morning)."""
    from rr_mmpose.deployment import cpu_session

    w, h = cfg.codec['input_size']
    crop = torch.randn(1, 3, h, w)
    study.export_for_onnxruntime(build(cfg), decoder, path, crop)

    def timed() -> tuple[float, float]:
        session = cpu_session(path, THREADS)
        return study.onnxruntime_ms(session, crop.numpy(), decoder, LATENCY_RUNS, warmup=3)

    return timed


def throughput_steps(cfg, decoder: dict):
    """(train step, inference step) callables for one model."""
    from mmengine.dataset import pseudo_collate
    from mmengine.optim import build_optim_wrapper
    from mmpose.registry import DATASETS, KEYPOINT_CODECS

    model = build(cfg)
    model.head.decoder = KEYPOINT_CODECS.build(decoder)
    optim = build_optim_wrapper(model, cfg.optim_wrapper)
    train_set = DATASETS.build(cfg.train_dataloader.dataset)
    val_set = DATASETS.build(cfg.val_dataloader.dataset)
    val_batch = pseudo_collate([val_set[i] for i in range(BATCH)])

    def train() -> None:
        picks = np.random.randint(len(train_set), size=BATCH)
        batch = pseudo_collate([train_set[i] for i in picks])
        model.train()
        model.train_step(batch, optim)

    def infer() -> None:
        model.eval()
        with torch.no_grad():
            model.test_step(val_batch)

    return train, infer


def models() -> list[rows.Row]:
    """Every trained row of the studies, once per :func:`cost_key`, and the
    stock row of each backbone, input and stride that no study trains (the
    ratios' reference: costs need no trained weights)."""
    unique = {}
    for row in [*convergence.ROWS, *resolution.ROWS, *rtmpose.ROWS]:
        unique.setdefault((row.arch, row.input, row.stride, row.objective), row)
    for arch, size, stride, _ in list(unique):
        stock = (arch, size, stride, STOCK[arch])
        if stock not in unique:
            unique[stock] = rows.Row(arch, STOCK[arch], size, stride=stride)
    return list(unique.values())


def measure() -> dict:
    from rr_mmpose.utils import model_complexity

    torch.set_num_threads(THREADS)
    measured, steps = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for row in models():
            for objective, cfg, decoder in row_models(row):
                count = model_complexity(cfg, (row.input, row.input))
                entry = dict(arch=row.arch, input=row.input, stride=row.stride, row=objective)
                entry.update(params_m=count.params_m, gflops=count.gflops)
                measured.append(entry)
                latency = latency_step(cfg, decoder, Path(tmp) / f'{len(measured)}.onnx')
                steps[rows.cost_key(entry)] = (latency, *throughput_steps(cfg, decoder))
                print(entry, flush=True)
        times = {key: ([], [], []) for key in steps}
        # in turn, so that a busy moment hits every row; onnxruntime apart from torch
        for _ in range(REPEATS):
            for key, (latency, _, _) in steps.items():
                times[key][0].append(latency())
        for _ in range(REPEATS):
            for key, (_, train, infer) in steps.items():
                times[key][1].append(study.median_seconds(train, 1, warmup=0))
                times[key][2].append(study.median_seconds(infer, 1, warmup=0))
    for entry in measured:
        latency, train_s, infer_s = times[rows.cost_key(entry)]
        graph, host = np.median(latency, axis=0)
        entry.update(onnxruntime_ms=float(graph), host_decode_ms=float(host))
        entry['train_img_s'] = BATCH / float(np.median(train_s))
        entry['infer_img_s'] = BATCH / float(np.median(infer_s))
    by_key = {rows.cost_key(r): r for r in measured}
    for entry in measured:
        stock = by_key[(*rows.cost_key(entry)[:3], STOCK[entry['arch']])]
        entry['train_vs_stock'] = entry['train_img_s'] / stock['train_img_s']
        entry['infer_vs_stock'] = entry['infer_img_s'] / stock['infer_img_s']
    return dict(
        threads=THREADS, batch=BATCH, repeats=REPEATS, latency_runs=LATENCY_RUNS, rows=measured
    )


def section(result: dict, results: dict) -> str:
    """What the cost columns of the training studies' tables mean."""
    return '\n'.join(
        [
            f'## {TITLE}',
            '',
            'The params, GFLOPs, latency and throughput columns of the [resolution](#resolution), '
            '[RTMPose](#rtmpose) and [learning-speed](#convergence) tables. Params and GFLOPs as '
            "MMPose counts them, at the row's input. Latency: batch 1, "
            f'{result["threads"]} onnxruntime threads; randomized rounding rows carry their '
            'decode in the graph (host decode 0), the others decode on the host with their '
            "MMPose codec, as MMPose's heads do. Throughput: training is the train pipeline of a "
            f'batch of {result["batch"]} generated faces (loading, augmentation, targets) plus '
            f'one optimiser step, inference is `test_step` with flip test on {result["batch"]} '
            'crops, as ratios against the stock row of the same backbone and input '
            f'({stock_rows()}). Timing: {result["repeats"]} rounds, each of which times every '
            'row in turn, so that a busy moment of the machine hits them all: per row and round, '
            f'the median of {result["latency_runs"]} onnxruntime runs (and of as many host '
            'decodes), one training and one inference step; the tables give the medians over '
            'the rounds.',
            *rows.paragraph(latency_noise_sentence(result)),
            *rows.paragraph(noise_sentence(result)),
            *rows.paragraph(head_flops_sentence(result)),
        ]
    )


def head_flops_sentence(result: dict) -> str:
    """Why heatmap heads of one backbone and input count different FLOPs,
    from the stored counts of MobileNetV2 at 128 input."""
    counted = {
        r['row']: r['gflops']
        for r in result['rows']
        if (r['arch'], r['input'], r['stride']) == ('mobilenetv2', 128, 4)
    }
    if not counted:
        return ''
    said = ', '.join(f'{row} {gflops:.3f}' for row, gflops in counted.items())
    return (
        f"GFLOPs of MobileNetV2 at 128 input, by head: {said}. The two-class heads (H3R's, as "
        'shipped) output two logits per pixel per keypoint, 2K channels; the others K.'
    )


def latency_noise_sentence(result: dict) -> str:
    """The latency column's noise: the :data:`SAME_GRAPH` rows of one
    backbone, input and stride run one network, so the spread of their
    onnxruntime times is noise alone."""
    groups: dict[tuple, list[dict]] = {}
    for r in result['rows']:
        if r['row'] in SAME_GRAPH:
            groups.setdefault((r['arch'], r['input'], r['stride']), []).append(r)
    spreads = []
    for (arch, size, stride), same in groups.items():
        times = [r['onnxruntime_ms'] for r in same]
        if len(same) > 1:
            spreads.append((max(times) / min(times) - 1, arch, size, stride, len(same)))
    if not spreads:
        return ''
    spread, arch, size, stride, count = max(spreads)
    where = f'{arch} {size}' + (f', stride {stride}' if stride != rows.PAPER_STRIDE else '')
    return (
        f'How noisy the latencies are: the {rows.listed(list(SAME_GRAPH))} rows of one '
        'backbone, input and stride run one network, only their host decode differs; their '
        'onnxruntime times '
        f'differ by up to {100 * spread:.0f} % ({where}, {count} rows; {len(spreads)} such '
        'groups). A smaller onnxruntime difference between rows is within the noise.'
    )


def noise_sentence(result: dict) -> str:
    """The throughput ratios' run-to-run noise: the MSRA + DARK rows train
    and run exactly MSRA's model and pipeline, so their training ratios
    against MSRA would be 1 without noise."""
    same = [r['train_vs_stock'] for r in result['rows'] if r['row'] == rows.DARK]
    if len(same) < 2:
        return ''
    return (
        f'How noisy the ratios are: the `{rows.DARK}` rows train exactly the MSRA model on its '
        f'pipeline, yet their training ratios against MSRA range from {min(same):.2f} to '
        f'{max(same):.2f} ({len(same)} rows). A training ratio inside that band differs from 1 '
        'by no more than the noise.'
    )


def run() -> dict:
    study.save('costs', measure())
    return study.load('costs')


if __name__ == '__main__':
    print(run())
