"""CPU latency of the exported ONNX graph (onnxruntime) against PyTorch for
the same model, backbone + head + decoding, batch 1, side by side."""

from __future__ import annotations

import tempfile
from functools import partial
from pathlib import Path

from . import study

FACE = 'face_2d_keypoint/rr_heatmap/'
MODELS_TO_TIME = {
    'MobileNetV2 128x128': FACE + 'wflw/td-hm_mobilenetv2_rr-8xb64-60e_wflw-p2-128x128.py',
    'HRNet-W18 256x256': FACE + 'wflw/td-hm_hrnetv2-w18_rr-8xb64-60e_wflw-p2-256x256.py',
}
THREADS, REPEATS = 2, 20


def measure(threads: int = THREADS, repeats: int = REPEATS) -> dict:
    import torch
    from mmengine.config import Config
    from mmpose.registry import MODELS
    from mmpose.utils import register_all_modules

    from rr_mmpose import config_path
    from rr_mmpose.deployment import DecodedPoseModel, cpu_session, export_onnx

    register_all_modules()
    torch.set_num_threads(threads)
    rows = []
    for name, config in MODELS_TO_TIME.items():
        cfg = Config.fromfile(config_path(config))
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
        rows.append(
            dict(model=name, torch_ms=torch_ms, onnxruntime_ms=ort_ms, speedup=torch_ms / ort_ms)
        )
    return dict(threads=threads, repeats=repeats, rows=rows)


def table(rows: list) -> str:
    lines = [
        '| model | PyTorch (ms) | onnxruntime (ms) | PyTorch / onnxruntime |',
        '|---|---|---|---|',
    ]
    for r in rows:
        lines.append(
            f'| {r["model"]} | {r["torch_ms"]:.1f} | {r["onnxruntime_ms"]:.1f} | '
            f'{r["speedup"]:.2f} |'
        )
    return '\n'.join(lines)


def section(result: dict) -> str:
    return '\n'.join(
        [
            '## ONNX export: CPU latency',
            '',
            f'Backbone + head + top-k decoding, batch 1, {result["threads"]} threads, medians of '
            f'{result["repeats"]} runs, PyTorch eager against onnxruntime on the exported graph, '
            'same weights, same run.',
            '',
            table(result['rows']),
        ]
    )


def run() -> dict:
    study.save('onnx_latency', measure())
    return study.load('onnx_latency')


if __name__ == '__main__':
    print(section(run()))
