"""INT8: static quantization of an exported model with onnxruntime, its
decoding (and the head's last layer) left in float, and the quantization
crops it needs."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from rr_mmpose.utils.atomic_write import atomic_output

from .onnx_export import DECODE_SCOPE, set_metadata
from .runtime import (
    INT8_FORMAT_KEY,
    INT8_FORMATS,
    PORTABLE_INT8_FORMAT,
    PRECISION_KEY,
    cpu_session,
    int8_saturates,
    isa_name,
)
from .runtime import int8_format as stored_int8_format

if TYPE_CHECKING:
    import onnx
    import onnxruntime as ort
    from mmengine.config import Config
    from onnxruntime.quantization import CalibrationDataReader

# Nodes whose output the head's last layer writes (the decode reads it).
COMPUTE_OPS = ('Conv', 'ConvTranspose', 'MatMul', 'Gemm')


def float_nodes(
    model: onnx.ModelProto, head_output: bool = True, decode_in_graph: bool = True
) -> list[str]:
    """The nodes :func:`quantize_int8` keeps in float, by name: the
    decoding (every node named ``/decode/...``, see :data:`DECODE_SCOPE`)
    and, with ``head_output``, the head's last layer: every node from the
    decoding back to the nearest Conv / MatMul / Gemm (a bias ``Add``,
    a ``Reshape``) and that node itself. Without ``decode_in_graph`` (a
    network exported without its decoding, as a Gaussian-heatmap or stock
    SimCC model is), the walk starts from the graph's outputs instead.

    Args:
        model (onnx.ModelProto): A graph written by :func:`export_onnx`
        head_output (bool): Keep the head's last layer in float too
        decode_in_graph (bool): The graph must hold a named decoding

    Raises:
        ValueError: ``decode_in_graph`` and the graph has no ``/decode/`` nodes
    """
    prefix = f'/{DECODE_SCOPE}/'
    producer = {out: node for node in model.graph.node for out in node.output}
    decode = [node for node in model.graph.node if node.name.startswith(prefix)]
    if decode_in_graph and not decode:
        raise ValueError(
            f'the graph has no nodes named {prefix}...: export it with '
            'rr_mmpose.deployment.export_onnx, which names its decoding so'
        )
    names = [node.name for node in decode]
    if not head_output:
        return names
    inside = set(names)
    if decode:
        stack = [producer[t] for node in decode for t in node.input if t in producer]
    else:
        stack = [producer[o.name] for o in model.graph.output if o.name in producer]
    while stack:
        node = stack.pop()
        if node.name in inside or node.op_type == 'Constant':
            continue
        inside.add(node.name)
        names.append(node.name)
        if node.op_type not in COMPUTE_OPS:
            stack.extend(producer[t] for t in node.input if t in producer)
    return names


def _crops_array(crops: np.ndarray | str | Path, input_shape: tuple[int, int, int]) -> np.ndarray:
    """Check the quantization crops (N, 3, h, w) float32 (or read them from a
    ``.npy`` file)."""
    if isinstance(crops, (str, Path)):
        try:
            crops = np.load(crops, allow_pickle=False)
        except (OSError, ValueError) as error:
            raise ValueError(f'could not read quantization crops from {crops}: {error}') from error
    if not isinstance(crops, np.ndarray):
        raise TypeError(
            'crops must be a numpy array (N, 3, h, w) of preprocessed crops '
            f'(or a .npy file of one), got {type(crops).__name__}'
        )
    if crops.dtype != np.float32:
        raise TypeError(
            'quantization crops must be float32, preprocessed as the model input, '
            f'not {crops.dtype}'
        )
    if crops.ndim != 4 or tuple(crops.shape[1:]) != input_shape:
        raise ValueError(
            f'quantization crops must have shape (N, {", ".join(map(str, input_shape))}) '
            f'(the model input), got {crops.shape}'
        )
    if len(crops) < 1:
        raise ValueError('quantization needs at least one crop (N >= 1), got none')
    if not np.isfinite(crops).all():
        raise ValueError('quantization crops hold non-finite values')
    return crops


def _input_shape(model: onnx.ModelProto, path: Path) -> tuple[str, tuple[int, int, int]]:
    """Name and (3, h, w) of the graph's one input."""
    weights = {t.name for t in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in weights]
    dims = []
    if len(inputs) == 1:
        shape = inputs[0].type.tensor_type.shape.dim
        dims = [d.dim_value if d.HasField('dim_value') else None for d in shape]
    if len(dims) != 4 or None in dims[1:] or dims[1] != 3:
        raise ValueError(
            f'{path}: expected one input of shape (B, 3, h, w) with fixed h and w, '
            f'as export_onnx writes, got {[i.name for i in inputs]} {dims}'
        )
    return inputs[0].name, tuple(dims[1:])


def _crop_reader(name: str, crops: np.ndarray, batch_size: int = 8) -> CalibrationDataReader:
    """An onnxruntime ``CalibrationDataReader`` over ``crops`` (N, 3, h, w),
    ``batch_size`` crops at a time."""
    from onnxruntime.quantization import CalibrationDataReader

    class CropReader(CalibrationDataReader):
        def __init__(self) -> None:
            self.start = 0

        def get_next(self) -> dict | None:
            if self.start >= len(crops):
                return None
            batch = crops[self.start : self.start + batch_size]
            self.start += batch_size
            return {name: batch}

    return CropReader()


def quantize_int8(
    fp32_path: str | Path,
    out_path: str | Path,
    crops: np.ndarray | str | Path,
    per_channel: bool = True,
    int8_format: str = PORTABLE_INT8_FORMAT,
    float_head_output: bool = True,
    decode_in_graph: bool = True,
) -> Path:
    """Quantize a graph written by :func:`export_onnx` to INT8 (static, QDQ
    format) with onnxruntime, the decoding left in float.

    onnxruntime's ``quant_pre_process`` first (ONNX shape inference and
    graph optimisation; its symbolic shape inference is skipped: it asserts
    on the graph's ``Reshape``), then ``quantize_static`` with MinMax
    activation ranges (onnxruntime's ``CalibrationMethod.MinMax``) on
    ``crops``: uint8 activations (asymmetric) and int8 weights (symmetric,
    per output channel with ``per_channel``) in ``int8_format``
    (:data:`~rr_mmpose.deployment.runtime.INT8_FORMATS`):
    'u8s7' keeps the weights to 7 bits (onnxruntime's ``reduce_range``), so
    that the integer kernels compute exactly on every CPU; 'u8s8' uses all
    8 bits, exact only where the CPU adds products in 32 bits (VNNI, AMX,
    ARM); 'u8u8' (uint8 weights) is exact everywhere but runs
    slower kernels. The nodes of :func:`float_nodes` stay in float: the decoding
    (top-k or window) and, with ``float_head_output``, the head's last
    layer, so that the decoding reads float logits rather than 8-bit ones
    (8-bit logits move the top-k weights and, on near ties, the cells).
    The model's metadata (crop, normalisation) is copied and the format
    added under :data:`~rr_mmpose.deployment.runtime.INT8_FORMAT_KEY`. The
    file appears whole or not at all.

    Args:
        fp32_path: The float model
        out_path: Where to write the INT8 model
        crops: Preprocessed crops (N, 3, h, w) float32, as the
            model takes them (or a ``.npy`` file holding them), N >= 1
        per_channel: Per-output-channel weight scales
        int8_format: 'u8s7' (exact on every CPU), 'u8s8' or 'u8u8'
        float_head_output: Keep the head's last layer in float too
        decode_in_graph: The graph holds its decoding (``export_onnx``);
            ``False`` for a network exported without it

    Returns:
        Path: ``out_path``

    Raises:
        FileNotFoundError: no file at ``fp32_path``
        ValueError, TypeError: a file that is not an ONNX model written by
            :func:`export_onnx`, or crops that cannot be read or
            are not (N >= 1, 3, h, w) float32
        RuntimeError: onnxruntime could not quantize the model
    """
    import onnx
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    fp32_path, out_path = Path(fp32_path), Path(out_path)
    if int8_format not in INT8_FORMATS:
        raise ValueError(f'int8_format must be one of {list(INT8_FORMATS)}, not {int8_format!r}')
    if not fp32_path.is_file():
        raise FileNotFoundError(f'no ONNX model at {fp32_path}')
    try:
        fp32 = onnx.load(str(fp32_path))
    except Exception as error:  # protobuf raises its own DecodeError
        raise ValueError(f'{fp32_path} is not an ONNX model: {error}') from error
    input_name, input_shape = _input_shape(fp32, fp32_path)
    crops = _crops_array(crops, input_shape)
    float_nodes(fp32, decode_in_graph=decode_in_graph)  # fail early: no named decoding
    metadata = {p.key: p.value for p in fp32.metadata_props}
    with tempfile.TemporaryDirectory(prefix='rr-int8-') as work:
        prepared = Path(work) / 'prepared.onnx'
        try:
            quant_pre_process(str(fp32_path), str(prepared), skip_symbolic_shape=True)
        except Exception as error:
            raise RuntimeError(
                f'onnxruntime could not prepare {fp32_path} for quantization: {error}'
            ) from error
        keep = float_nodes(onnx.load(str(prepared)), float_head_output, decode_in_graph)
        with atomic_output(out_path, '.onnx') as tmp:
            try:
                quantize_static(
                    str(prepared),
                    str(tmp),
                    _crop_reader(input_name, crops),
                    quant_format=QuantFormat.QDQ,
                    per_channel=per_channel,
                    activation_type=QuantType.QUInt8,
                    weight_type=QuantType.QUInt8 if int8_format == 'u8u8' else QuantType.QInt8,
                    reduce_range=int8_format == 'u8s7',
                    nodes_to_exclude=keep,
                    calibrate_method=CalibrationMethod.MinMax,
                )
            except Exception as error:
                raise RuntimeError(
                    f'onnxruntime could not quantize {fp32_path}: {error}'
                ) from error
            set_metadata(tmp, {**metadata, PRECISION_KEY: 'int8', INT8_FORMAT_KEY: int8_format})
    return out_path


def median_ms(session: ort.InferenceSession, inputs: dict, repeats: int, warmup: int = 3) -> float:
    """Median milliseconds of ``session.run`` on ``inputs``."""
    for _ in range(warmup):
        session.run(None, inputs)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        session.run(None, inputs)
        times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times))


def int8_on_this_cpu(
    fp32_path: str | Path,
    int8_path: str | Path,
    crop: np.ndarray,
    threads: int | None = None,
    repeats: int = 20,
) -> dict:
    """How an INT8 model written by :func:`quantize_int8` fares on this CPU
    against its FP32 model: batch-1 latency of each on ``crop`` (1, 3, h, w)
    (medians of ``repeats`` runs, the two timed in turn), the format, the
    CPU's instruction sets, and the advice the export prints.

    Returns:
        dict: ``format``, ``isa``, ``threads``, ``fp32_ms``, ``int8_ms``,
        ``speedup`` (FP32 / INT8 time), ``saturates`` (see
        :func:`~rr_mmpose.deployment.runtime.int8_saturates`), ``fp32_mb``,
        ``int8_mb`` and ``advice`` (one line)
    """
    fp32_path, int8_path = Path(fp32_path), Path(int8_path)
    sessions = [cpu_session(p, threads) for p in (fp32_path, int8_path)]
    int8_format = stored_int8_format(sessions[1])
    if int8_format is None:
        raise ValueError(f'{int8_path} is not an INT8 model written by quantize_int8')
    inputs = {sessions[0].get_inputs()[0].name: crop}
    fp32_ms, int8_ms = [], []
    for _ in range(3):  # in turn, so that a busy spell slows both
        fp32_ms.append(median_ms(sessions[0], inputs, repeats))
        int8_ms.append(median_ms(sessions[1], inputs, repeats))
    report = dict(
        format=int8_format,
        isa=isa_name(),
        threads=threads,
        fp32_ms=float(np.median(fp32_ms)),
        int8_ms=float(np.median(int8_ms)),
        saturates=int8_saturates(int8_format),
        fp32_mb=fp32_path.stat().st_size / 2**20,
        int8_mb=int8_path.stat().st_size / 2**20,
    )
    report['speedup'] = report['fp32_ms'] / report['int8_ms']
    if report['saturates']:
        advice = f'deploy {fp32_path.name} here: {int8_format} saturates on a CPU without VNNI'
    elif report['speedup'] <= 1:
        advice = (
            f'deploy {fp32_path.name} here: INT8 is no faster on this CPU; '
            f'{int8_path.name} is {report["fp32_mb"] / report["int8_mb"]:.1f}x smaller and '
            'computes the same on every CPU, faster on those with VNNI'
        )
    else:
        advice = f'{int8_path.name} is {report["speedup"]:.2f}x as fast as FP32 on this CPU'
    report['advice'] = advice
    return report


def quantization_crops(
    pose_model: nn.Module, cfg: Config, num: int, batch_size: int = 32
) -> np.ndarray:
    """``num`` crops (N, 3, h, w) float32 of ``cfg``'s ``val_dataloader``,
    evenly spaced over its dataset, through its pipeline and the model's
    data preprocessor, exactly as the model sees them."""
    from mmengine.dataset import pseudo_collate
    from mmengine.registry import init_default_scope
    from mmpose.registry import DATASETS

    if num < 1:
        raise ValueError(f'quantization needs at least one crop, got {num}')
    init_default_scope(cfg.get('default_scope', 'mmpose'))
    dataset_cfg = cfg.val_dataloader.dataset.copy()
    root = Path(dataset_cfg.get('data_root', ''))
    if str(root) not in ('', '.') and not root.is_dir():
        raise FileNotFoundError(
            f"could not read the quantization crops: the config's val_dataloader data_root "
            f'{str(root)!r} does not exist (the generated faces are made by `make demo` or '
            '`python -m rr_mmpose.datasets.generate_faces`)'
        )
    try:
        dataset = DATASETS.build(dataset_cfg)
        if num > len(dataset):
            raise ValueError(
                f'{num} quantization crops asked for; the validation set holds {len(dataset)} only'
            )
        indices = np.unique(np.linspace(0, len(dataset) - 1, num).round().astype(int))
        crops = []
        with torch.no_grad():
            for start in range(0, len(indices), batch_size):
                items = [dataset[int(i)] for i in indices[start : start + batch_size]]
                batch = pose_model.data_preprocessor(pseudo_collate(items), training=False)
                crops.append(batch['inputs'].cpu().numpy().astype(np.float32))
    except Exception as error:
        kind = FileNotFoundError if isinstance(error, OSError) else ValueError
        raise kind(
            f"could not read the quantization crops (the config's val_dataloader, data_root "
            f'{str(root)!r}): {error}'
        ) from error
    return np.concatenate(crops)
