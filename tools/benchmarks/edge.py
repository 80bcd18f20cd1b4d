"""The edge path: each model as onnxruntime runs it, in float and in INT8,
with its accuracy, latency and file size, measured side by side.

    python -m tools.benchmarks.edge

Models at convergence, seed 0, trained on the generated faces: the heatmap
rows of the ``resolution`` study (each config's recipe scaled to the CPU,
60 epochs) and the RTMPose rows of the ``rtmpose`` study (its recipe).
Randomized rounding models export with their decode in the graph
(``export_onnx``); MSRA and stock SimCC export the network and decode on
the host with their MMPose codec, whose time is added. INT8: static QDQ,
per-channel weights, UINT8 activations, ranges fitted on ``QUANTIZATION_CROPS``
crops of the training faces (``quantize_int8``; the decode and the head's
last layer stay in float). NME (outer eye corners) on the generated test
faces, flip test off, computed in crop pixels (the crop is a similarity,
so the ratio is the image's).
"""

from __future__ import annotations

import copy
import json
import tempfile
from pathlib import Path

import numpy as np
import torch
from mmpose.registry import KEYPOINT_CODECS

from rr_mmpose.evaluation.video_metrics import outer_eye_nme

from . import resolution, rows, rtmpose, study
from .rows import Trained

TITLE = 'Edge: FP32 and INT8 in onnxruntime'  # of its section

MODELS = [
    resolution.named('mobilenetv2 128 two-class spatial'),
    resolution.named('hrnetv2-w18 128 two-class spatial'),
    resolution.named('mobilenetv2 128 MSRA'),
    rtmpose.named('rtmpose-t 128 SimCCLabel s=2'),
    rtmpose.named('rtmpose-t 128 RR s=2'),
]
QUANTIZATION_CROPS, REPEATS = 64, 20


def evaluation_crops(model, cfg) -> tuple[np.ndarray, np.ndarray]:
    """Preprocessed crops (N, 3, h, w) of the generated test faces and their
    landmarks in crop pixels (N, K, 2), through the config's test pipeline
    and the model's data preprocessor."""
    from mmengine.dataset import pseudo_collate
    from mmpose.registry import DATASETS

    dataset_cfg = cfg.val_dataloader.dataset.copy()
    dataset_cfg.pop('indices', None)
    dataset_cfg.pipeline = [
        dict(step, pack_transformed=True) if step['type'] == 'PackPoseInputs' else step
        for step in dataset_cfg.pipeline
    ]
    dataset = DATASETS.build(dataset_cfg)
    inputs, truth = [], []
    with torch.no_grad():
        for start in range(0, len(dataset), 32):
            items = [dataset[i] for i in range(start, min(start + 32, len(dataset)))]
            batch = model.data_preprocessor(pseudo_collate(items), training=False)
            inputs.append(batch['inputs'].numpy().astype(np.float32))
            truth += [s.gt_instances.transformed_keypoints[0] for s in batch['data_samples']]
    return np.concatenate(inputs), np.array(truth, np.float64)


def training_crops(model, cfg, num: int) -> np.ndarray:
    """``num`` crops of the generated training faces, as INT8 export
    fits its activation ranges on a config's validation faces
    (``quantization_crops``)."""
    from rr_mmpose.datasets.generate_faces import annotation_path
    from rr_mmpose.deployment import quantization_crops

    train_cfg = copy.deepcopy(cfg)
    dataset = train_cfg.val_dataloader.dataset
    dataset.pop('indices', None)
    dataset.ann_file = str(annotation_path('', 'train'))
    return quantization_crops(model, train_cfg, num)


def keypoints(path: Path, inputs: np.ndarray, codec: dict) -> np.ndarray:
    """Keypoints (N, K, 2) in crop pixels for every crop, one at a time:
    the graph's, or the host codec's decode of the graph's outputs."""
    from rr_mmpose.deployment import cpu_session

    sess = cpu_session(path, 2)
    outputs = [sess.run(None, {'input': inputs[i : i + 1]}) for i in range(len(inputs))]
    if study.decodes_in_graph(codec):
        return np.concatenate([o[0] for o in outputs])
    decoder = KEYPOINT_CODECS.build(codec)
    return np.concatenate([decoder.decode(*(t[0] for t in o))[0] for o in outputs])


def measure_one(trained: Trained, work: Path) -> dict:
    from rr_mmpose.deployment import cpu_session, quantize_int8

    row = trained.row
    model, cfg, weights = rows.trained_model(trained.study, row)
    model.eval()
    test_inputs, truth = evaluation_crops(model, cfg)
    fp32 = export_onnx_model(model, cfg, test_inputs, work / f'{row.name.replace(" ", "_")}.onnx')
    int8 = fp32.with_suffix('.int8.onnx')
    in_graph = study.decodes_in_graph(cfg.codec)
    quantize_int8(
        fp32, int8, training_crops(model, cfg, QUANTIZATION_CROPS), decode_in_graph=in_graph
    )
    entry = dict(
        study=trained.study, arch=row.arch, input=row.input, row=row.objective, weights=weights
    )
    for precision, path in (('fp32', fp32), ('int8', int8)):
        entry[f'{precision}_nme'] = outer_eye_nme(keypoints(path, test_inputs, cfg.codec), truth)
        entry[f'{precision}_mb'] = path.stat().st_size / 2**20
        for threads in (1, 2):
            graph, host = study.onnxruntime_ms(
                cpu_session(path, threads), test_inputs[:1], cfg.codec, REPEATS
            )
            entry[f'{precision}_ms_{threads}t'] = graph + host
    entry['int8_vs_fp32_nme'] = entry['int8_nme'] / entry['fp32_nme'] - 1
    entry['int8_vs_fp32_ms_1t'] = entry['int8_ms_1t'] / entry['fp32_ms_1t']
    entry['int8_vs_fp32_ms_2t'] = entry['int8_ms_2t'] / entry['fp32_ms_2t']
    entry['faces'] = len(truth)
    return entry


# The INT8 formats compared on one trained model, natively and, where this
# CPU has VNNI, on an x86 CPU without it emulated by QEMU (Haswell: AVX2 and
# FMA, no AVX-512), which runs onnxruntime's AVX2 kernels; emulated faces
# are fewer (slow).
FORMATS = ('u8s8', 'u8s7', 'u8u8')
FORMAT_MODEL = MODELS[0]
EMULATOR, EMULATED_CPU, EMULATED_FACES = 'qemu-x86_64', 'Haswell', 64


def emulated_keypoints(models: list[Path], crops: np.ndarray, work: Path) -> dict | None:
    """Keypoints of ``models`` on ``crops`` under :data:`EMULATOR` as
    :data:`EMULATED_CPU` (None where QEMU is not installed, or where this
    CPU has no VNNI itself: its own figures are then the ones without)."""
    import shutil
    import subprocess
    import sys

    from rr_mmpose.deployment.runtime import cpu_isa

    isa = cpu_isa()
    emulator = shutil.which(EMULATOR)
    if emulator is None or (isa['machine'] == 'x86_64' and isa['vnni'] is False):
        return None
    np.save(work / 'crops.npy', crops)
    out = work / 'emulated.npz'
    command = [emulator, '-cpu', EMULATED_CPU, sys.executable, '-m']
    command += ['tools.benchmarks.int8_keypoints', str(work / 'crops.npy'), str(out)]
    subprocess.run(command + [str(m) for m in models], check=True, capture_output=True)
    return dict(np.load(out))


def shift(a: np.ndarray, b: np.ndarray) -> dict:
    d = np.linalg.norm(a - b, axis=-1)
    return dict(mean=float(d.mean()), p90=float(np.percentile(d, 90)), max=float(d.max()))


def measure_formats(trained: Trained, work: Path) -> dict:
    """Each INT8 format of :data:`FORMATS` on ``trained``'s model: NME
    and keypoint shift from FP32 on this CPU and (where this CPU has VNNI)
    on the emulated one without, and
    batch-1 latency on this CPU (the models timed in turn)."""
    from rr_mmpose.deployment import cpu_session, quantize_int8
    from rr_mmpose.deployment.int8 import median_ms
    from rr_mmpose.deployment.runtime import isa_name

    from .int8_keypoints import keypoints as graph_keypoints

    row = trained.row
    model, cfg, _ = rows.trained_model(trained.study, row)  # one of the rows measured above
    model.eval()
    inputs, truth = evaluation_crops(model, cfg)
    paths = {'fp32': export_onnx_model(model, cfg, inputs, work / 'fp32.onnx')}
    crops = training_crops(model, cfg, QUANTIZATION_CROPS)
    for name in FORMATS:
        paths[name] = quantize_int8(paths['fp32'], work / f'{name}.onnx', crops, int8_format=name)
    native = {name: graph_keypoints(path, inputs) for name, path in paths.items()}
    emulated = emulated_keypoints(list(paths.values()), inputs[:EMULATED_FACES], work)
    sessions = {name: cpu_session(path, 1) for name, path in paths.items()}
    times = {name: [] for name in paths}
    for _ in range(3):
        for name, sess in sessions.items():
            times[name].append(median_ms(sess, {'input': inputs[:1]}, REPEATS))
    out = []
    for name in paths:
        entry = dict(format=name, ms_1t=float(np.median(times[name])))
        entry['native'] = dict(
            nme=outer_eye_nme(native[name], truth), **shift(native[name], native['fp32'])
        )
        if emulated is not None:
            few = truth[:EMULATED_FACES]
            entry['emulated'] = dict(
                nme=outer_eye_nme(emulated[name], few),
                fp32_nme_same_faces=outer_eye_nme(native['fp32'][:EMULATED_FACES], few),
                **shift(emulated[name], native['fp32'][:EMULATED_FACES]),
            )
        out.append(entry)
        print(json.dumps(entry), flush=True)
    return dict(
        row=dict(arch=row.arch, input=row.input, row=row.objective),
        isa=isa_name(),
        emulated_cpu=f'{EMULATED_CPU} (QEMU: AVX2, no AVX-512, no VNNI)' if emulated else None,
        faces=len(truth),
        emulated_faces=EMULATED_FACES,
        formats=out,
    )


def export_onnx_model(model, cfg, inputs: np.ndarray, path: Path) -> Path:
    return study.export_for_onnxruntime(model, cfg.codec, path, torch.from_numpy(inputs[:1]))


def measure() -> dict:
    from rr_mmpose.deployment.runtime import PORTABLE_INT8_FORMAT, isa_name

    torch.set_num_threads(2)
    measured = []
    with tempfile.TemporaryDirectory() as tmp:
        formats = measure_formats(FORMAT_MODEL, Path(tmp))
        for trained in MODELS:
            measured.append(measure_one(trained, Path(tmp)))
            print(json.dumps(measured[-1]), flush=True)
    return dict(
        quantization_crops=QUANTIZATION_CROPS,
        repeats=REPEATS,
        isa=isa_name(),
        int8_format=PORTABLE_INT8_FORMAT,
        rows=measured,
        formats=formats,
    )


def table(result: dict) -> str:
    lines = [
        '| model | NME % FP32 / INT8 (change) | ms, 1 thread: FP32 / INT8 (INT8 ÷ FP32) | '
        'ms, 2 threads: FP32 / INT8 (INT8 ÷ FP32) | MB: FP32 / INT8 |',
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


def formats_table(result: dict) -> str:
    formats = result['formats']
    emulated = formats['emulated_cpu'] is not None
    head = f'| format | this CPU ({formats["isa"]}): NME % (change), shift px mean / p90 / max |'
    if emulated:
        head += f' emulated {formats["emulated_cpu"]}: NME % (change), shift px mean / p90 / max |'
    head += ' ms, 1 thread (ratio to FP32) |'
    lines = [head, '|---' * head.count(' |') + '|']
    base = {f['format']: f for f in formats['formats']}['fp32']

    def cell(m: dict, fp32_nme: float) -> str:
        change = 100 * (m['nme'] / fp32_nme - 1)
        return (
            f'{m["nme"]:.3f} ({change:+.1f} %), {m["mean"]:.2f} / {m["p90"]:.2f} / {m["max"]:.1f}'
        )

    for f in formats['formats']:
        line = f'| {f["format"]} | {cell(f["native"], base["native"]["nme"])} |'
        if emulated:
            line += f' {cell(f["emulated"], f["emulated"]["fp32_nme_same_faces"])} |'
        line += f' {f["ms_1t"]:.2f} ({f["ms_1t"] / base["ms_1t"]:.2f}) |'
        lines.append(line)
    return '\n'.join(lines)


def section(result: dict, results: dict) -> str:
    crops = result.get('quantization_crops', result.get('calibration'))  # its name until 2026-12
    faces = result['rows'][0]['faces'] if result['rows'] else 0
    lines = [
        f'## {TITLE}',
        '',
        f'On this CPU: {result.get("isa", "not recorded")}. Models: '
        f'{rows.models_measured(result["rows"])}, trained on the generated faces. '
        'Randomized rounding models carry their decode in the graph; MSRA and stock '
        'SimCC decode on the host with their MMPose codec, whose time is included. INT8: '
        f'format {result.get("int8_format", "u8s8")} (`quantize_int8`), static QDQ, '
        f'per-channel weights, ranges set on {crops} training crops; the decode '
        "and the head's last layer stay in float. NME on the "
        f'{faces} generated test faces, flip test off; latency at batch 1, medians of '
        f'{result["repeats"]} runs, decode included; file sizes in MiB. Each row compares '
        'one model with itself, FP32 against INT8; across rows the NME compares models trained '
        'differently, which the [resolution](#resolution) and [RTMPose](#rtmpose) studies '
        'compare at convergence.',
        '',
        table(result),
        *rows.retrained_paragraph(result['rows'], results, COMMAND),
    ]
    if 'formats' in result:
        f = result['formats']
        lines += [
            '',
            '### INT8 formats',
            '',
            f'The {f["row"]["arch"]} {f["row"]["input"]} {f["row"]["row"]} model above in each '
            'INT8 format of `quantize_int8`, '
            + (
                'on this CPU and on an x86 CPU without VNNI emulated by QEMU, which runs '
                f"onnxruntime's AVX2 kernels ({f['emulated_faces']} of the test faces there: "
                'emulation is slow). Shift: keypoint distance from FP32 on this CPU, in crop '
                "pixels. The emulator gives accuracy, not speed; latency is this CPU's."
                if f['emulated_cpu']
                else f'on this CPU ({f["isa"]}). Shift: keypoint distance from FP32, in crop '
                'pixels.'
            ),
            '',
            formats_table(result),
        ]
    return '\n'.join(lines)


COMMAND = 'python -m tools.benchmarks.edge'


def run() -> dict:
    study.save('edge', measure())
    return study.load('edge')


if __name__ == '__main__':
    run()
