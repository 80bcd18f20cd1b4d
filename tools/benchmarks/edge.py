"""The edge path: each model as onnxruntime runs it, in float and in INT8,
with its accuracy, latency and file size, measured side by side.

    python -m tools.benchmarks.edge

Models: the convergence study's rows (seed 0, trained on the generated
faces with each config's recipe scaled to the CPU; ``trained_model``).
Randomized rounding models export with their decode in the graph
(``export_onnx``); MSRA and stock SimCC export the network and decode on
the host with their MMPose codec, whose time is added. INT8: static QDQ,
per-channel weights, UINT8 activations, calibrated on ``CALIBRATION``
crops of the training faces (``quantize_int8``; the decode and the head's
last layer stay in float). NME (outer eye corners) on the generated test
faces, flip test off, computed in crop pixels (the crop is a similarity,
so the ratio is the image's).
"""

from __future__ import annotations

import json
import tempfile
from functools import partial
from pathlib import Path

import numpy as np
import torch
from mmpose.registry import KEYPOINT_CODECS

from rr_mmpose.evaluation.video_metrics import outer_eye_nme

from . import convergence, study
from .costs import Network

ROWS = [
    convergence.Row('mobilenetv2', 'two-class spatial', 128),
    convergence.Row('hrnetv2-w18', 'two-class spatial', 128),
    convergence.Row('mobilenetv2', 'MSRA', 128),
    convergence.Row('rtmpose-t', 'SimCCLabel s=2', 128),
    convergence.Row('rtmpose-t', 'RR s=2', 128),
]
CALIBRATION, REPEATS = 64, 20


def crops(model, cfg, split: str, num: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Preprocessed crops (N, 3, h, w) of a split of the generated faces
    and their landmarks in crop pixels (N, K, 2), through the config's test
    pipeline and the model's data preprocessor."""
    from mmengine.dataset import pseudo_collate
    from mmpose.registry import DATASETS

    dataset_cfg = cfg.val_dataloader.dataset.copy()
    dataset_cfg.ann_file = f'annotations/face_landmarks_300w_{split}.json'
    dataset_cfg.pop('indices', None)
    dataset_cfg.pipeline = [
        dict(step, pack_transformed=True) if step['type'] == 'PackPoseInputs' else step
        for step in dataset_cfg.pipeline
    ]
    dataset = DATASETS.build(dataset_cfg)
    picks = np.arange(len(dataset))
    if num is not None:
        picks = np.linspace(0, len(dataset) - 1, num).astype(int)
    inputs, truth = [], []
    with torch.no_grad():
        for start in range(0, len(picks), 32):
            items = [dataset[int(i)] for i in picks[start : start + 32]]
            batch = model.data_preprocessor(pseudo_collate(items), training=False)
            inputs.append(batch['inputs'].numpy().astype(np.float32))
            truth += [s.gt_instances.transformed_keypoints[0] for s in batch['data_samples']]
    return np.concatenate(inputs), np.array(truth, np.float64)


def session(path: Path, threads: int):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    return ort.InferenceSession(str(path), options, providers=['CPUExecutionProvider'])


def keypoints(path: Path, inputs: np.ndarray, codec) -> np.ndarray:
    """Keypoints (N, K, 2) in crop pixels for every crop, one at a time:
    the graph's, or the host codec's decode of the graph's outputs."""
    sess = session(path, 2)
    outputs = [sess.run(None, {'input': inputs[i : i + 1]}) for i in range(len(inputs))]
    if codec is None:  # the decode is in the graph
        points = np.concatenate([o[0] for o in outputs])
    else:
        points = np.concatenate([codec.decode(*(t[0] for t in o))[0] for o in outputs])
    return points


def measure_one(row: convergence.Row, work: Path) -> dict:
    from rr_mmpose.deployment import export_graph, export_onnx, quantize_int8

    model, cfg = convergence.trained_model(row)
    model.eval()
    randomized = cfg.codec['type'].startswith('RandomizedRounding')
    codec = None if randomized else KEYPOINT_CODECS.build(cfg.codec)
    test_inputs, truth = crops(model, cfg, 'test')
    calibration, _ = crops(model, cfg, 'train', CALIBRATION)
    fp32 = work / f'{row.name.replace(" ", "_")}.onnx'
    if randomized:
        export_onnx(model, fp32)
    else:
        names = ['x', 'y'] if cfg.codec['type'] == 'SimCCLabel' else ['maps']
        export_graph(Network(model), [torch.from_numpy(test_inputs[:1])], fp32, ['input'], names)
    int8 = fp32.with_suffix('.int8.onnx')
    quantize_int8(fp32, int8, calibration, decode_in_graph=randomized)
    entry = dict(arch=row.arch, input=row.input, row=row.objective)
    for precision, path in (('fp32', fp32), ('int8', int8)):
        entry[f'{precision}_nme'] = outer_eye_nme(keypoints(path, test_inputs, codec), truth)
        entry[f'{precision}_mb'] = path.stat().st_size / 2**20
        for threads in (1, 2):
            sess = session(path, threads)
            run = partial(sess.run, None, {'input': test_inputs[:1]})
            ms = 1e3 * study.median_seconds(run, REPEATS, warmup=3)
            if codec is not None:
                outputs = [t[0] for t in run()]
                ms += 1e3 * study.median_seconds(partial(codec.decode, *outputs), REPEATS)
            entry[f'{precision}_ms_{threads}t'] = ms
    entry['int8_vs_fp32_nme'] = entry['int8_nme'] / entry['fp32_nme'] - 1
    entry['int8_vs_fp32_ms_1t'] = entry['int8_ms_1t'] / entry['fp32_ms_1t']
    entry['int8_vs_fp32_ms_2t'] = entry['int8_ms_2t'] / entry['fp32_ms_2t']
    entry['faces'] = len(truth)
    return entry


def measure() -> dict:
    torch.set_num_threads(2)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for row in ROWS:
            rows.append(measure_one(row, Path(tmp)))
            print(json.dumps(rows[-1]), flush=True)
    return dict(calibration=CALIBRATION, repeats=REPEATS, rows=rows)


def table(result: dict) -> str:
    lines = [
        '| model | NME % FP32 / INT8 (change) | ms, 1 thread: FP32 / INT8 (ratio) | '
        'ms, 2 threads: FP32 / INT8 (ratio) | MB: FP32 / INT8 |',
        '|---|---|---|---|---|',
    ]
    for r in result['rows']:
        lines.append(
            f'| {r["arch"]} {r["input"]} {r["row"]} | {r["fp32_nme"]:.2f} / {r["int8_nme"]:.2f} '
            f'({100 * r["int8_vs_fp32_nme"]:+.1f} %) | {r["fp32_ms_1t"]:.2f} / '
            f'{r["int8_ms_1t"]:.2f} ({r["int8_vs_fp32_ms_1t"]:.2f}) | {r["fp32_ms_2t"]:.2f} / '
            f'{r["int8_ms_2t"]:.2f} ({r["int8_vs_fp32_ms_2t"]:.2f}) | {r["fp32_mb"]:.2f} / '
            f'{r["int8_mb"]:.2f} |'
        )
    return '\n'.join(lines)


def section(result: dict) -> str:
    faces = result['rows'][0]['faces'] if result['rows'] else 0
    return '\n'.join(
        [
            '## Edge: FP32 and INT8 in onnxruntime',
            '',
            "Each model is the convergence study's row at seed 0 (trained on the generated "
            "faces, its config's recipe scaled to the CPU). Randomized rounding models carry "
            'their decode in the graph; MSRA and stock SimCC decode on the host with their '
            'MMPose codec, whose time is included. INT8: static QDQ, per-channel weights, UINT8 '
            f'activations, calibrated on {result["calibration"]} training crops; the decode and '
            "the head's last layer stay in float. NME on the "
            f'{faces} generated test faces, flip test off; latency at batch 1, medians of '
            f'{result["repeats"]} runs, decode included; file sizes in MiB.',
            '',
            table(result),
        ]
    )


def run() -> dict:
    study.save('edge', measure())
    return study.load('edge')


if __name__ == '__main__':
    print(section(run()))
