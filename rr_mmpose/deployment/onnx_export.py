"""Export a top-down randomized rounding model, decoding included, to ONNX,
and quantise it to INT8.

python -m rr_mmpose.deployment.onnx_export CONFIG [CHECKPOINT] --out model.onnx [--int8 [--calib N]]
"""

from __future__ import annotations

import json
import tempfile
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from rr_mmpose.utils.atomic_write import atomic_output

# Warnings of the export a user can do nothing about, by message (and the
# module that issues them): torch deprecates the TorchScript exporter used
# here on purpose (its graphs run in every onnxruntime) and a logging helper
# of its own inside it; MMPose's FeatureMapProcessor resizes to sizes read
# off tensors, which are constant for a fixed input size.
EXPORT_NOISE = (
    (DeprecationWarning, 'You are using the legacy TorchScript-based ONNX export', ''),
    (DeprecationWarning, 'The feature will be removed', r'torch\.onnx'),
    (torch.jit.TracerWarning, 'Converting a tensor to a Python integer', r'mmpose\.'),
)

# The decoding's ONNX nodes are named '/decode/...' (the head's per-keypoint
# log-softmax included): INT8 quantisation leaves exactly these in float.
DECODE_SCOPE = 'decode'

# ONNX metadata_props key of the crop and normalisation a model expects (a
# JSON object), read by rr_mmpose/deployment/runtime.py, which names the
# same key (it may not import this module: no torch there).
PREPROCESSING_KEY = 'rr_mmpose.preprocessing'
# The one crop the runtime reproduces: MMPose's GetBBoxCenterScale followed
# by TopdownAffine without UDP.
TOPDOWN_CROP = 'GetBBoxCenterScale+TopdownAffine'
# GetBBoxCenterScale's default padding, for models exported without a config.
DEFAULT_PADDING = 1.25
# Nodes whose output the head's last layer writes (the decode reads it).
COMPUTE_OPS = ('Conv', 'ConvTranspose', 'MatMul', 'Gemm')


class _Scope(nn.Module):
    """No weights: calls ``fn(*args)``, so that the exporter names the nodes
    traced inside after this module's attribute name."""

    def forward(self, fn, *args):
        return fn(*args)


class DecodedPoseModel(nn.Module):
    """Backbone, neck, head and the codec's decoding in one graph.

    Works with :class:`RandomizedRoundingHead` (top-k decoding of its maps)
    and with MMPose's ``RTMCCHead`` decoded by ``RandomizedRoundingSimCC``
    (windowed decoding of its x and y vectors): any head whose decoder has
    a torch ``decode_tensor``.

    Input: a batch of preprocessed crops (B, 3, h, w), i.e. after
    ``TopdownAffine`` and the data preprocessor's normalisation.
    Outputs: keypoints (B, K, 2) in crop pixels and scores (B, K), and with
    ``with_maps`` (heatmap heads) the per-cell log-probabilities
    (B, K, H, W) as well. Flip test is left out (run the exported model on
    mirrored crops if needed). The decoding (with a heatmap head's
    log-softmax) is traced inside the scope :data:`DECODE_SCOPE`: its ONNX
    nodes are named ``/decode/...``.
    """

    def __init__(self, pose_model: nn.Module, with_maps: bool = False) -> None:
        super().__init__()
        self.pose_model = pose_model
        self.head = pose_model.head
        if not hasattr(self.head.decoder, 'decode_tensor'):
            raise TypeError(
                f'{type(self.head.decoder).__name__} has no torch decode_tensor to export; '
                'use a RandomizedRoundingHeatmap or RandomizedRoundingSimCC decoder'
            )
        if with_maps and not hasattr(self.head, 'score_maps'):
            raise ValueError(f'with_maps needs a heatmap head, not {type(self.head).__name__}')
        self.with_maps = with_maps
        setattr(self, DECODE_SCOPE, _Scope())

    def forward(self, inputs: Tensor) -> tuple[Tensor, ...]:
        outputs = self.head.forward(self.pose_model.extract_feat(inputs))
        return getattr(self, DECODE_SCOPE)(self._decode, outputs)

    def _decode(self, outputs) -> tuple[Tensor, ...]:
        if hasattr(self.head, 'score_maps'):  # one map per keypoint
            outputs = (self.head.score_maps(outputs),)
        keypoints, scores = self.head.decoder.decode_tensor(*outputs)
        return (keypoints, scores, outputs[0]) if self.with_maps else (keypoints, scores)


def export_graph(
    module: nn.Module,
    example_inputs: Sequence[Tensor],
    path: str | Path,
    input_names: Sequence[str],
    output_names: Sequence[str],
    opset: int = 17,
    metadata: Mapping[str, str] | None = None,
) -> Path:
    """Export ``module`` with the TorchScript exporter, every input and
    output with a dynamic batch dimension, ``metadata`` as the model's
    ``metadata_props``; the file appears whole or not at all. Returns the
    path."""
    path = Path(path)
    names = [*input_names, *output_names]
    with warnings.catch_warnings(), torch.no_grad(), atomic_output(path, '.onnx') as tmp:
        for category, message, origin in EXPORT_NOISE:
            warnings.filterwarnings('ignore', message, category, origin)
        torch.onnx.export(
            module.eval(),
            tuple(example_inputs),
            str(tmp),
            opset_version=opset,
            dynamo=False,
            input_names=list(input_names),
            output_names=list(output_names),
            dynamic_axes={name: {0: 'batch'} for name in names},
        )
        if metadata:
            _set_metadata(tmp, metadata)
    return path


def _set_metadata(path: Path, metadata: Mapping[str, str]) -> None:
    """Add (or replace) ``metadata_props`` entries of the ONNX file at ``path``."""
    import onnx

    model = onnx.load(str(path))
    props = {p.key: p.value for p in model.metadata_props}
    props.update(metadata)
    onnx.helper.set_model_props(model, props)
    onnx.save(model, str(path))


def _transform_name(transform) -> str:
    kind = transform.get('type', '?')
    return kind if isinstance(kind, str) else getattr(kind, '__name__', str(kind))


def _crop_from_config(cfg, input_size: Sequence[int]) -> tuple[str, float]:
    """The crop of ``cfg``'s test pipeline, :data:`TOPDOWN_CROP` or a
    description of another one, and GetBBoxCenterScale's padding."""
    if cfg is None:
        return TOPDOWN_CROP, DEFAULT_PADDING
    try:
        pipeline = list(cfg.test_dataloader.dataset.pipeline)
    except (AttributeError, KeyError):
        return TOPDOWN_CROP, DEFAULT_PADDING
    centre = [t for t in pipeline if _transform_name(t) == 'GetBBoxCenterScale']
    affine = [t for t in pipeline if _transform_name(t) == 'TopdownAffine']
    if (
        len(centre) == 1
        and len(affine) == 1
        and not affine[0].get('use_udp', False)
        and tuple(affine[0]['input_size']) == tuple(input_size)
    ):
        return TOPDOWN_CROP, float(centre[0].get('padding', DEFAULT_PADDING))
    names = [
        _transform_name(t) + ('(use_udp=True)' if t.get('use_udp', False) else '')
        for t in pipeline
        if _transform_name(t) not in ('LoadImage', 'PackPoseInputs')
    ]
    return '+'.join(names) or 'none', DEFAULT_PADDING


def preprocessing_metadata(pose_model: nn.Module, padding: float | None = None) -> dict:
    """What :class:`~rr_mmpose.deployment.runtime.LandmarkRuntime` needs to
    know of a model: a JSON-ready dict.

    - ``input_size`` (w, h): of the decoder;
    - ``crop``, ``padding``: :data:`TOPDOWN_CROP` and GetBBoxCenterScale's
      padding when the test pipeline of the model's config
      (``pose_model.cfg``, set by ``mmpose.apis.init_model``) crops that
      way, else a description of its crop; a model without a config is
      taken to use MMPose's top-down crop with padding ``padding`` or
      GetBBoxCenterScale's default;
    - ``mean``, ``std``, ``bgr_to_rgb``: the normalisation of an MMPose
      ``PoseDataPreprocessor`` (or mmengine ``ImgDataPreprocessor``); for any
      other data preprocessor only its name, as ``preprocessor``.
    """
    from mmengine.model import ImgDataPreprocessor
    from mmpose.models.data_preprocessors import PoseDataPreprocessor

    w, h = pose_model.head.decoder.input_size
    crop, cfg_padding = _crop_from_config(getattr(pose_model, 'cfg', None), (w, h))
    info = dict(
        input_size=[int(w), int(h)],
        crop=crop,
        padding=float(cfg_padding if padding is None else padding),
    )
    preprocessor = getattr(pose_model, 'data_preprocessor', None)
    if type(preprocessor) in (PoseDataPreprocessor, ImgDataPreprocessor):
        if preprocessor._enable_normalize:
            mean = preprocessor.mean.flatten().tolist()
            std = preprocessor.std.flatten().tolist()
            mean, std = mean * (3 // len(mean)), std * (3 // len(std))  # one value: grey
        else:
            mean, std = [0.0] * 3, [1.0] * 3
        # mmengine swaps the channels for bgr_to_rgb and for rgb_to_bgr alike.
        info.update(mean=mean, std=std, bgr_to_rgb=bool(preprocessor._channel_conversion))
    else:
        info['preprocessor'] = type(preprocessor).__name__
    return info


def export_onnx(
    pose_model: nn.Module,
    path: str | Path,
    opset: int = 17,
    with_maps: bool = False,
    padding: float | None = None,
) -> Path:
    """Write the model with its decoding to ``path``: input ``input``
    (B, 3, h, w), outputs ``keypoints``, ``scores`` (and ``maps``), and the
    crop and normalisation (:func:`preprocessing_metadata`) in the model's
    ``metadata_props`` under :data:`PREPROCESSING_KEY`."""
    wrapper = DecodedPoseModel(pose_model, with_maps)
    outputs = ['keypoints', 'scores'] + (['maps'] if with_maps else [])
    w, h = pose_model.head.decoder.input_size
    metadata = {PREPROCESSING_KEY: json.dumps(preprocessing_metadata(pose_model, padding))}
    return export_graph(
        wrapper, [torch.zeros(1, 3, h, w)], path, ['input'], outputs, opset, metadata
    )


# INT8 ----------------------------------------------------------------------

ACTIVATION_TYPES = ('uint8', 'int8')


def float_nodes(model, head_output: bool = True, decode_in_graph: bool = True) -> list[str]:
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


def _crops_array(calibration_inputs, input_shape: tuple[int, int, int]) -> np.ndarray:
    """Check calibration crops (N, 3, h, w) float32 (or read them from a
    ``.npy`` file)."""
    if isinstance(calibration_inputs, (str, Path)):
        try:
            calibration_inputs = np.load(calibration_inputs, allow_pickle=False)
        except (OSError, ValueError) as error:
            raise ValueError(
                f'could not read calibration crops from {calibration_inputs}: {error}'
            ) from error
    if not isinstance(calibration_inputs, np.ndarray):
        raise TypeError(
            'calibration_inputs must be a numpy array (N, 3, h, w) of preprocessed crops '
            f'(or a .npy file of one), got {type(calibration_inputs).__name__}'
        )
    crops = calibration_inputs
    if crops.dtype != np.float32:
        raise TypeError(
            f'calibration crops must be float32, preprocessed as the model input, not {crops.dtype}'
        )
    if crops.ndim != 4 or tuple(crops.shape[1:]) != input_shape:
        raise ValueError(
            f'calibration crops must have shape (N, {", ".join(map(str, input_shape))}) '
            f'(the model input), got {crops.shape}'
        )
    if len(crops) < 1:
        raise ValueError('calibration needs at least one crop (N >= 1), got none')
    if not np.isfinite(crops).all():
        raise ValueError('calibration crops hold non-finite values')
    return crops


def _input_shape(model, path: Path) -> tuple[str, tuple[int, int, int]]:
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


def _calibration_reader(name: str, crops: np.ndarray, batch_size: int = 8):
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

        def rewind(self) -> None:
            self.start = 0

        def __len__(self) -> int:
            return -(-len(crops) // batch_size)

    return CropReader()


def quantize_int8(
    fp32_path: str | Path,
    out_path: str | Path,
    calibration_inputs: np.ndarray | str | Path,
    per_channel: bool = True,
    activation_type: str = 'uint8',
    float_head_output: bool = True,
    decode_in_graph: bool = True,
) -> Path:
    """Quantise a graph written by :func:`export_onnx` to INT8 (static, QDQ
    format) with onnxruntime, the decoding left in float.

    onnxruntime's ``quant_pre_process`` first (ONNX shape inference and
    graph optimisation; its symbolic shape inference is skipped: it asserts
    on the graph's ``Reshape``), then ``quantize_static`` with MinMax
    calibration on ``calibration_inputs``: weights INT8 (per output channel
    with ``per_channel``), activations ``activation_type``: 'uint8' (the x86
    fast path: 'int8' activations ran no faster than FP32 on an x86 CPU
    without VNNI) or 'int8' (ARM); both are asymmetric, hence equally
    accurate. The nodes of :func:`float_nodes` stay in float: the decoding
    (top-k or window) and, with ``float_head_output``, the head's last
    layer, so that the decoding reads float logits rather than 8-bit ones
    (8-bit logits move the top-k weights and, on near ties, the cells).
    The model's metadata (crop, normalisation) is copied. The file appears
    whole or not at all.

    Args:
        fp32_path: The float model
        out_path: Where to write the INT8 model
        calibration_inputs: Preprocessed crops (N, 3, h, w) float32, as the
            model takes them (or a ``.npy`` file holding them), N >= 1
        per_channel: Per-output-channel weight scales
        activation_type: 'uint8' or 'int8'
        float_head_output: Keep the head's last layer in float too
        decode_in_graph: The graph holds its decoding (``export_onnx``);
            ``False`` for a network exported without it

    Returns:
        Path: ``out_path``

    Raises:
        FileNotFoundError: no file at ``fp32_path``
        ValueError, TypeError: a file that is not an ONNX model written by
            :func:`export_onnx`, or calibration crops that cannot be read or
            are not (N >= 1, 3, h, w) float32
        RuntimeError: onnxruntime could not quantise the model
    """
    import onnx
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    fp32_path, out_path = Path(fp32_path), Path(out_path)
    if activation_type not in ACTIVATION_TYPES:
        raise ValueError(
            f'activation_type must be one of {ACTIVATION_TYPES}, not {activation_type!r}'
        )
    if not fp32_path.is_file():
        raise FileNotFoundError(f'no ONNX model at {fp32_path}')
    try:
        fp32 = onnx.load(str(fp32_path))
    except Exception as error:  # protobuf raises its own DecodeError
        raise ValueError(f'{fp32_path} is not an ONNX model: {error}') from error
    input_name, input_shape = _input_shape(fp32, fp32_path)
    crops = _crops_array(calibration_inputs, input_shape)
    float_nodes(fp32, decode_in_graph=decode_in_graph)  # fail early: no named decoding
    metadata = {p.key: p.value for p in fp32.metadata_props}
    with tempfile.TemporaryDirectory(prefix='rr-int8-') as work:
        prepared = Path(work) / 'prepared.onnx'
        try:
            quant_pre_process(str(fp32_path), str(prepared), skip_symbolic_shape=True)
        except Exception as error:
            raise RuntimeError(
                f'onnxruntime could not prepare {fp32_path} for quantisation: {error}'
            ) from error
        keep = float_nodes(onnx.load(str(prepared)), float_head_output, decode_in_graph)
        with atomic_output(out_path, '.onnx') as tmp:
            try:
                quantize_static(
                    str(prepared),
                    str(tmp),
                    _calibration_reader(input_name, crops),
                    quant_format=QuantFormat.QDQ,
                    per_channel=per_channel,
                    activation_type=QuantType.QUInt8
                    if activation_type == 'uint8'
                    else QuantType.QInt8,
                    weight_type=QuantType.QInt8,
                    nodes_to_exclude=keep,
                    calibrate_method=CalibrationMethod.MinMax,
                )
            except Exception as error:
                raise RuntimeError(
                    f'onnxruntime could not quantise {fp32_path}: {error}'
                ) from error
            _set_metadata(tmp, {**metadata, 'rr_mmpose.precision': 'int8'})
    return out_path


# CLI -----------------------------------------------------------------------

GENERATED_FACES_ROOT = Path('data/synthetic_faces')


def calibration_crops(pose_model: nn.Module, cfg, num: int, batch_size: int = 32) -> np.ndarray:
    """``num`` crops (N, 3, h, w) float32 of ``cfg``'s ``val_dataloader``,
    evenly spaced over its dataset, through its pipeline and the model's
    data preprocessor, exactly as the model sees them. The generated faces
    (the demo config's ``data/synthetic_faces``) are generated if missing."""
    from mmengine.dataset import pseudo_collate
    from mmengine.registry import init_default_scope
    from mmpose.registry import DATASETS

    if num < 1:
        raise ValueError(f'calibration needs at least one crop, got {num}')
    init_default_scope(cfg.get('default_scope', 'mmpose'))
    dataset_cfg = cfg.val_dataloader.dataset.copy()
    root = Path(dataset_cfg.get('data_root', ''))
    if not root.exists() and root.resolve() == GENERATED_FACES_ROOT.resolve():
        from rr_mmpose.datasets import generate_dataset

        print(f'generating the faces to calibrate on in {root} (rr_mmpose.datasets)')
        generate_dataset(root)
    if str(root) not in ('', '.') and not root.is_dir():
        raise FileNotFoundError(
            f"could not read the calibration data: the config's val_dataloader data_root "
            f'{str(root)!r} does not exist'
        )
    try:
        dataset = DATASETS.build(dataset_cfg)
        if num > len(dataset):
            raise ValueError(
                f'{num} calibration crops asked for; the validation set holds {len(dataset)} only'
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
            f"could not read the calibration data (the config's val_dataloader, data_root "
            f'{str(root)!r}): {error}'
        ) from error
    return np.concatenate(crops)


def main(argv: list[str] | None = None) -> None:
    import argparse

    import rr_mmpose  # noqa: F401  (registers the codecs, heads and losses)

    parser = argparse.ArgumentParser(
        prog='python -m rr_mmpose.deployment.onnx_export',
        description='Export CONFIG + CHECKPOINT, decoding included, to ONNX',
    )
    parser.add_argument('config')
    parser.add_argument('checkpoint', nargs='?', help='omit to export random weights')
    parser.add_argument('--out', default='work_dirs/model.onnx')
    parser.add_argument('--opset', type=int, default=17)
    parser.add_argument(
        '--int8',
        action='store_true',
        help='also write an INT8 model (decoding in float) as <out stem>.int8.onnx',
    )
    parser.add_argument(
        '--calib',
        type=int,
        default=64,
        metavar='N',
        help="INT8 calibration crops from the config's val_dataloader (default 64)",
    )
    args = parser.parse_args(argv)
    if args.calib < 1:
        parser.error(f'--calib must be at least 1, got {args.calib}')

    from mmpose.apis import init_model

    model = init_model(args.config, args.checkpoint, device='cpu')
    out = export_onnx(model, args.out, args.opset)
    print(out)
    if args.int8:
        crops = calibration_crops(model, model.cfg, args.calib)
        print(quantize_int8(out, out.with_name(f'{out.stem}.int8.onnx'), crops))


if __name__ == '__main__':
    main()
