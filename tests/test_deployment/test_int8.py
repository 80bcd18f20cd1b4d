"""INT8 quantization of the exported graph (static, QDQ), the decoding left
in float, checked with onnxruntime."""

import platform
import re
from pathlib import Path

import cv2
import numpy as np
import onnx
import pytest
from mmengine.config import Config
from mmpose.registry import MODELS

from rr_mmpose.datasets import render_face
from rr_mmpose.deployment import cpu_session, export_onnx, quantize_int8
from rr_mmpose.deployment.int8 import float_nodes, quantization_crops
from rr_mmpose.deployment.onnx_export import DECODE_SCOPE, main
from rr_mmpose.deployment.runtime import DEFAULT_MEAN, DEFAULT_STD, PREPROCESSING_KEY, normalise

from ..helpers import DEMO_CONFIG, random_demo_model, random_rtmpose_model

QDQ = ('QuantizeLinear', 'DequantizeLinear')


def face_crops(seed: int, num: int) -> np.ndarray:
    """Generated faces resized to 128x128 and normalised as the demo
    config's data preprocessor does: (num, 3, 128, 128) float32."""
    rng = np.random.default_rng(seed)
    faces = [
        cv2.resize(render_face(rng, 256)[0], (128, 128), interpolation=cv2.INTER_AREA)
        for _ in range(num)
    ]
    mean, std = np.float32(DEFAULT_MEAN), np.float32(DEFAULT_STD)
    return normalise(np.stack(faces), mean, std, bgr_to_rgb=True)


def session(path):
    return cpu_session(path, threads=1)


def decode_stays_float(model: onnx.ModelProto) -> None:
    """No decode node reads a dequantized tensor or feeds a quantizer, and
    the TopK / ArgMax inputs are float tensors computed in float back to the
    head's last (float) layer."""
    producer = {out: node for node in model.graph.node for out in node.output}
    consumers = {}
    for node in model.graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    decode = [n for n in model.graph.node if n.name.startswith(f'/{DECODE_SCOPE}/')]
    assert decode
    for node in decode:
        assert node.op_type not in QDQ
        assert not [t for t in node.input if t in producer and producer[t].op_type in QDQ], node
        assert not [c for t in node.output for c in consumers.get(t, []) if c.op_type in QDQ]
    inferred = onnx.shape_inference.infer_shapes(model)
    types = {v.name: v.type.tensor_type.elem_type for v in inferred.graph.value_info}
    selectors = [n for n in decode if n.op_type in ('TopK', 'ArgMax')]
    assert selectors
    for node in selectors:
        assert types[node.input[0]] == onnx.TensorProto.FLOAT
        stack, seen = [producer[node.input[0]]], set()
        while stack:  # back to the head's last Conv / MatMul
            upstream = stack.pop()
            if upstream.name in seen:
                continue
            seen.add(upstream.name)
            assert upstream.op_type not in QDQ, f'{node.name} reads {upstream.name}'
            if upstream.op_type in ('Conv', 'MatMul', 'Gemm'):
                weight = upstream.input[1]
                assert weight not in producer or producer[weight].op_type not in QDQ
                continue
            stack.extend(producer[t] for t in upstream.input if t in producer)


@pytest.fixture(scope='module')
def fp32_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp('int8') / 'demo.onnx'
    return export_onnx(random_demo_model(), path, with_maps=True)


@pytest.fixture(scope='module')
def int8_path(fp32_path) -> Path:
    return quantize_int8(fp32_path, fp32_path.with_name('demo.int8.onnx'), face_crops(0, 16))


def test_float_nodes_are_the_decoding_and_the_head_output(fp32_path):
    model = onnx.load(str(fp32_path))
    decode = float_nodes(model, head_output=False)
    assert decode and all(name.startswith(f'/{DECODE_SCOPE}/') for name in decode)
    ops = {n.name: n.op_type for n in model.graph.node}
    assert 'TopK' in {ops[name] for name in decode}
    head_output = [name for name in float_nodes(model) if name not in decode]
    assert [ops[name] for name in head_output] == ['Conv']  # the head's last 1x1 conv


def test_int8_graph_is_quantized_and_keeps_the_decoding_in_float(int8_path):
    model = onnx.load(str(int8_path))
    ops = [n.op_type for n in model.graph.node]
    assert ops.count('QuantizeLinear') > 20 and ops.count('DequantizeLinear') > 20
    decode_stays_float(model)
    props = {p.key: p.value for p in model.metadata_props}
    assert PREPROCESSING_KEY in props and props['rr_mmpose.precision'] == 'int8'


def int8_weights(model: onnx.ModelProto) -> list[np.ndarray]:
    """The INT8 weights of a QDQ graph: the int8 initializers its
    DequantizeLinear nodes read (activations come from QuantizeLinear nodes,
    biases are int32)."""
    initializers = {t.name: t for t in model.graph.initializer}
    weights = []
    for node in model.graph.node:
        source = initializers.get(node.input[0]) if node.op_type == 'DequantizeLinear' else None
        if source is not None and source.data_type == onnx.TensorProto.INT8:
            weights.append(onnx.numpy_helper.to_array(source))
    return weights


def test_the_portable_format_cannot_saturate(fp32_path, int8_path, tmp_path):
    """On x86 CPUs without VNNI, onnxruntime's U8S8 kernels add each pair of
    uint8 x int8 products in a signed 16-bit lane (``vpmaddubsw``), which
    saturates above 32767. The default format keeps every weight within
    -64..64, so no pair can reach it: 2 x 255 x 64 = 32640. A property of
    the file, so it holds on every CPU; 8-bit weights (u8s8) break it."""
    weights = int8_weights(onnx.load(str(int8_path)))
    assert len(weights) > 20
    assert max(int(np.abs(w.astype(np.int32)).max()) for w in weights) <= 64
    assert 2 * 255 * 64 <= np.iinfo(np.int16).max
    full = quantize_int8(fp32_path, tmp_path / 'u8s8.onnx', face_crops(0, 4), int8_format='u8s8')
    assert (
        max(int(np.abs(w.astype(np.int32)).max()) for w in int8_weights(onnx.load(str(full)))) > 64
    )


def test_int8_kernels_compute_what_the_graph_says(int8_path):
    """The INT8 graph through onnxruntime's integer kernels (graph
    optimisations on: QDQ pairs fused into QLinearConv and friends) against
    the same graph with its QuantizeLinear / DequantizeLinear nodes run one
    by one in float (optimisations off), on this CPU. Without saturation the
    two differ only where a requantized value falls within float rounding
    of a half step (one 8-bit step, here and there), which moves keypoints
    by hundredths of a crop pixel and, on a near tie of two cells, a
    top-k cell: measured median 0.02 px, p90 0.09 px on AVX-512 VNNI and on
    AVX2 emulated (QEMU, Haswell), where 8-bit weights saturated. The bound
    is a tenth of a pixel for the median, half a pixel for the 90th
    percentile."""
    import onnxruntime as ort

    crops = face_crops(1, 16)

    def keypoints(level) -> np.ndarray:
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.graph_optimization_level = level
        sess = ort.InferenceSession(str(int8_path), options, providers=['CPUExecutionProvider'])
        return sess.run(['keypoints'], {'input': crops})[0]

    level = ort.GraphOptimizationLevel
    err = np.linalg.norm(
        keypoints(level.ORT_ENABLE_ALL) - keypoints(level.ORT_DISABLE_ALL), axis=-1
    )
    print(
        f'integer kernels vs QDQ in float: median {np.median(err):.3f}, '
        f'p90 {np.percentile(err, 90):.3f} px'
    )
    assert np.median(err) < 0.1 and np.percentile(err, 90) < 0.5


@pytest.mark.slow  # trains the paper config (paper_model)
def test_int8_of_a_trained_model_keeps_its_accuracy(paper_model, tmp_path):
    """The shipped paper config, trained by the suite (``paper_model``), on
    its generated test faces through the config's pipeline: INT8 keypoints
    within half a crop pixel of FP32's at the median (an eighth of its
    4-pixel heatmap cell),
    and INT8 NME within 5 % of FP32's (the test prints both). Training is
    not bit-identical across CPUs, so the weights differ by machine; the
    default format's integer arithmetic does not (see above)."""
    from mmpose.apis import init_model

    from rr_mmpose.evaluation.video_metrics import outer_eye_nme
    from tools.benchmarks.edge import evaluation_crops

    cfg, checkpoint = paper_model
    model = init_model(cfg, str(checkpoint), device='cpu')
    inputs, truth = evaluation_crops(model, cfg)
    fp32 = export_onnx(model, tmp_path / 'trained.onnx')
    int8 = quantize_int8(fp32, tmp_path / 'trained.int8.onnx', quantization_crops(model, cfg, 16))
    ref = session(fp32).run(['keypoints'], {'input': inputs})[0]
    kpts = session(int8).run(['keypoints'], {'input': inputs})[0]
    err = np.linalg.norm(kpts - ref, axis=-1)
    nme = outer_eye_nme(kpts, truth), outer_eye_nme(ref, truth)
    print(
        f'INT8 vs FP32 (trained paper config): shift median {np.median(err):.3f} p90 '
        f'{np.percentile(err, 90):.3f} max {err.max():.3f} px; NME {nme[0]:.3f} against '
        f'{nme[1]:.3f} %'
    )
    assert np.median(err) < 0.5 and nme[0] < 1.05 * nme[1]


def test_rtmpose_with_randomized_rounding_quantizes(tmp_path):
    """RTMCCHead + RandomizedRoundingSimCC: exports, quantizes (its last
    MatMuls and the windowed decoding in float) and runs."""
    fp32 = export_onnx(random_rtmpose_model(), tmp_path / 'rtmpose.onnx')
    int8 = quantize_int8(fp32, tmp_path / 'rtmpose.int8.onnx', face_crops(0, 4))
    model = onnx.load(str(int8))
    assert [n.op_type for n in model.graph.node].count('QuantizeLinear') > 20
    decode_stays_float(model)
    kpts, scores = session(int8).run(None, {'input': face_crops(1, 2)})
    assert kpts.shape == (2, 68, 2) and scores.shape == (2, 68) and np.isfinite(kpts).all()


def unquantizable_model(path: Path) -> Path:
    """A graph with a named decoding that onnxruntime cannot load (an
    operator of an unknown domain)."""
    helper = onnx.helper
    node = helper.make_node('Mystery', ['input'], ['keypoints'], '/decode/Mystery', domain='x.y')
    graph = helper.make_graph(
        [node],
        'mystery',
        [helper.make_tensor_value_info('input', onnx.TensorProto.FLOAT, ['B', 3, 8, 8])],
        [helper.make_tensor_value_info('keypoints', onnx.TensorProto.FLOAT, None)],
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid('', 17), helper.make_opsetid('x.y', 1)]
    )
    onnx.save(model, str(path))
    return path


def test_bad_inputs_raise_clear_errors_and_leave_no_file(fp32_path, tmp_path):
    crops = face_crops(0, 2)
    (tmp_path / 'junk.onnx').write_bytes(b'not a model')
    (tmp_path / 'junk.npy').write_text('not an array')
    no_decode = onnx.load(str(fp32_path))
    for node in no_decode.graph.node:
        node.name = node.name.replace(f'/{DECODE_SCOPE}/', '/other/')
    onnx.save(no_decode, str(tmp_path / 'no_decode.onnx'))
    mystery = unquantizable_model(tmp_path / 'mystery.onnx')
    cases = [
        (tmp_path / 'missing.onnx', crops, {}, FileNotFoundError, 'no ONNX model'),
        (tmp_path / 'junk.onnx', crops, {}, ValueError, 'is not an ONNX model'),
        (fp32_path, crops[:, :, :64, :64], {}, ValueError, r'shape \(N, 3, 128, 128\)'),
        (fp32_path, crops[0], {}, ValueError, r'shape \(N, 3, 128, 128\)'),
        (fp32_path, crops.astype(np.float64), {}, TypeError, 'float32'),
        (fp32_path, crops[:0], {}, ValueError, 'at least one crop'),
        (fp32_path, crops.tolist(), {}, TypeError, 'numpy array'),
        (fp32_path, crops * np.float32('nan'), {}, ValueError, 'non-finite'),
        (fp32_path, tmp_path / 'junk.npy', {}, ValueError, 'could not read quantization crops'),
        (fp32_path, tmp_path / 'missing.npy', {}, ValueError, 'could not read quantization crops'),
        (fp32_path, crops, dict(int8_format='u8s4'), ValueError, 'int8_format must be one of'),
        (tmp_path / 'no_decode.onnx', crops, {}, ValueError, 'no nodes named /decode/'),
        (mystery, face_crops(0, 1)[:, :, :8, :8], {}, RuntimeError, 'could not quantize .*mystery'),
    ]
    before = set(tmp_path.iterdir())
    out = tmp_path / 'out' / 'int8.onnx'
    for model, given, kwargs, error, message in cases:
        with pytest.raises(error, match=message):
            quantize_int8(model, out, given, **kwargs)
        assert set(tmp_path.iterdir()) - before <= {out.parent}
        assert not out.parent.exists() or not list(out.parent.iterdir())  # nothing half-written


def test_the_export_says_whether_int8_pays_on_this_cpu(fp32_path, int8_path, monkeypatch):
    """Latency of both models side by side on this CPU, and the advice: FP32
    where INT8 is no faster (as on AVX2 CPUs without VNNI) or saturates."""
    from rr_mmpose.deployment import int8 as module

    report = module.int8_on_this_cpu(fp32_path, int8_path, face_crops(0, 1), threads=1, repeats=3)
    assert report['format'] == 'u8s7' and report['saturates'] is False
    assert report['isa'].startswith(platform.machine().replace('AMD64', 'x86_64'))
    assert report['speedup'] == pytest.approx(report['fp32_ms'] / report['int8_ms'])
    assert report['int8_mb'] < report['fp32_mb'] / 2

    def timed(slower: str):
        def median_ms(session, inputs, repeats, warmup=3):
            precision = session.get_modelmeta().custom_metadata_map.get('rr_mmpose.precision')
            return 2.0 if (precision or 'fp32') == slower else 1.0

        return median_ms

    monkeypatch.setattr(module, 'median_ms', timed('int8'))
    slow = module.int8_on_this_cpu(fp32_path, int8_path, face_crops(0, 1), repeats=1)
    assert slow['speedup'] == 0.5
    assert slow['advice'].startswith(f'deploy {fp32_path.name} here: INT8 is no faster')
    monkeypatch.setattr(module, 'median_ms', timed('fp32'))
    fast = module.int8_on_this_cpu(fp32_path, int8_path, face_crops(0, 1), repeats=1)
    assert fast['advice'] == f'{int8_path.name} is 2.00x as fast as FP32 on this CPU'
    with pytest.raises(ValueError, match='not an INT8 model'):
        module.int8_on_this_cpu(fp32_path, fp32_path, face_crops(0, 1), repeats=1)


def test_cli_takes_its_quantization_crops_from_the_config_val_loader(tiny_faces, tmp_path, capsys):
    """``--int8 --int8-crops N``: N crops of the config's val_dataloader through
    MMPose's pipeline and data preprocessor, then the FP32 and INT8 files."""
    from rr_mmpose.testing import on_generated_faces

    cfg = Config.fromfile(str(DEMO_CONFIG))
    on_generated_faces(cfg, tiny_faces, batch_size=4)
    config = tmp_path / 'config.py'
    cfg.dump(str(config))
    main([str(config), '--out', str(tmp_path / 'model.onnx'), '--int8', '--int8-crops', '4'])
    assert (tmp_path / 'model.onnx').is_file() and (tmp_path / 'model.int8.onnx').is_file()
    printed = capsys.readouterr().out
    assert 'model.int8.onnx: u8s7, uint8 activations, 7-bit int8 weights' in printed
    assert re.search(r'on this CPU \(.+\), batch 1: FP32 [\d.]+ ms, INT8 [\d.]+ ms; ', printed)
    decode_stays_float(onnx.load(str(tmp_path / 'model.int8.onnx')))

    net = MODELS.build(cfg.model)
    crops = quantization_crops(net, cfg, 3)
    assert crops.shape == (3, 3, 128, 128) and crops.dtype == np.float32
    with pytest.raises(ValueError, match='holds 8 only'):
        quantization_crops(net, cfg, 9)
    on_generated_faces(cfg, tmp_path / 'nowhere', batch_size=4)
    with pytest.raises(FileNotFoundError, match='could not read the quantization crops'):
        quantization_crops(net, cfg, 2)
    with pytest.raises(SystemExit):
        main([str(config), '--out', str(tmp_path / 'x.onnx'), '--int8', '--calib', '0'])
