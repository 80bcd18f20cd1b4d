"""CPU latency of the exported ONNX graph (onnxruntime) against PyTorch for
the same model, backbone + head + decoding, batch 1, side by side, and of
its INT8 model against the FP32 one; one entry per model and instruction
set, so that a run on another CPU kind adds its rows and keeps the others.

    python -m tools.benchmarks.onnx_latency
"""

from __future__ import annotations

import tempfile
from functools import partial
from pathlib import Path

from . import study

TITLE = 'ONNX export: CPU latency'  # of its section

FACE = 'face_2d_keypoint/rr_heatmap/'
MODELS_TO_TIME = {
    'MobileNetV2 128x128': FACE + 'wflw/td-hm_mobilenetv2_rr-8xb64-60e_wflw-p2-128x128.py',
    'HRNet-W18 256x256': FACE + 'wflw/td-hm_hrnetv2-w18_rr-8xb64-60e_wflw-p2-256x256.py',
}
THREADS, REPEATS = 2, 20
# Latency does not depend on the INT8 ranges: random crops set them.
RANGE_CROPS = 8
COMMAND = 'python -m tools.benchmarks.onnx_latency'


def measure_one(name: str, threads: int, repeats: int) -> dict:
    import numpy as np
    import torch
    from mmengine.config import Config
    from mmpose.registry import MODELS

    from rr_mmpose import config_path
    from rr_mmpose.deployment import DecodedPoseModel, cpu_session, export_onnx, quantize_int8
    from rr_mmpose.deployment.int8 import int8_on_this_cpu

    cfg = Config.fromfile(config_path(MODELS_TO_TIME[name]))
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model).eval()
    w, h = cfg.codec['input_size']
    crops = torch.randn(1, 3, h, w)
    wrapper = DecodedPoseModel(model).eval()
    with tempfile.TemporaryDirectory() as tmp:
        path = export_onnx(model, Path(tmp) / 'model.onnx')
        session = cpu_session(path, threads)
        with torch.no_grad():
            torch_ms = 1e3 * study.median_seconds(partial(wrapper, crops), repeats, warmup=3)
        ort_ms = 1e3 * study.median_seconds(
            partial(session.run, None, {'input': crops.numpy()}), repeats, warmup=3
        )
        ranges = np.random.default_rng(0).standard_normal((RANGE_CROPS, 3, h, w), np.float32)
        int8 = quantize_int8(path, Path(tmp) / 'model.int8.onnx', ranges)
        versus = int8_on_this_cpu(path, int8, crops.numpy(), threads, repeats)
    return dict(
        model=name,
        threads=threads,
        repeats=repeats,
        isa=versus['isa'],
        torch_ms=torch_ms,
        onnxruntime_ms=ort_ms,
        speedup=torch_ms / ort_ms,
        int8_format=versus['format'],
        int8_fp32_ms=versus['fp32_ms'],
        int8_ms=versus['int8_ms'],
        int8_speedup=versus['speedup'],
    )


def measure(threads: int = THREADS, repeats: int = REPEATS) -> list[dict]:
    import torch
    from mmpose.utils import register_all_modules

    register_all_modules()
    torch.set_num_threads(threads)
    return [measure_one(name, threads, repeats) for name in MODELS_TO_TIME]


def table(runs: list[dict]) -> str:
    lines = [
        '| model | CPU | PyTorch (ms) | onnxruntime (ms) | PyTorch / onnxruntime | '
        'INT8 check: FP32 / INT8 (ms) | FP32 ÷ INT8 |',
        '|---|---|---|---|---|---|---|',
    ]
    order = list(MODELS_TO_TIME)
    for r in sorted(runs, key=lambda r: (order.index(r['model']), r['isa'])):
        int8 = (
            f'{r["int8_fp32_ms"]:.1f} / {r["int8_ms"]:.1f} ({r["int8_format"]}) | '
            f'{r["int8_speedup"]:.2f}'
            if 'int8_ms' in r
            else '- | -'
        )
        lines.append(
            f'| {r["model"]} | {r["isa"]} | {r["torch_ms"]:.1f} | {r["onnxruntime_ms"]:.1f} | '
            f'{r["speedup"]:.2f} | {int8} |'
        )
    return '\n'.join(lines)


def section(result: dict, results: dict) -> str:
    runs = result['runs']
    return '\n'.join(
        [
            f'## {TITLE}',
            '',
            study.provenance_lines([r['provenance'] for r in runs], COMMAND, 'measurement'),
            '',
            'Backbone + head + top-k decoding, batch 1, '
            f'{", ".join(sorted({str(r["threads"]) for r in runs}))} threads, medians of '
            f'{", ".join(sorted({str(r["repeats"]) for r in runs}))} runs, PyTorch eager '
            'against onnxruntime on the exported graph, same weights, same run. INT8: the '
            "export's INT8 model (`quantize_int8`, its default format) against its FP32 one, "
            'timed in turn by `int8_on_this_cpu`, the check the export prints (its own FP32 '
            'time, in the same column, is a second timing of the onnxruntime one); its ranges are '
            f'set on {RANGE_CROPS} random crops, which latency does not depend on. One row per '
            'model and CPU instruction set; "-": not measured on that CPU. What INT8 gains depends '
            'on the CPU (with VNNI or AMX the integer kernels add their products in one '
            'instruction, with AVX2 alone in several); it is measured only where a row shows it.',
            '',
            table(runs),
        ]
    )


def run() -> dict:
    """Measure on this CPU; the stored rows of other instruction sets stay."""
    measured = measure()
    tag = study.provenance()
    stored = study.load('onnx_latency') or dict(runs=[])
    here = {r['isa'] for r in measured}
    runs = [r for r in stored['runs'] if r['isa'] not in here]
    runs += [dict(r, provenance=tag) for r in measured]
    study.save('onnx_latency', dict(runs=runs), tag=False)
    return study.load('onnx_latency')


if __name__ == '__main__':
    run()
