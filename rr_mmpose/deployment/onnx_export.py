"""Export a top-down randomized rounding model, decoding included, to ONNX,
and quantize it to INT8.

python -m rr_mmpose.deployment.onnx_export CONFIG [CHECKPOINT] --out model.onnx \
    [--int8 [--int8-crops N] [--int8-format u8s7]]
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor, nn

from rr_mmpose.utils.atomic_write import atomic_output

from .runtime import (
    DEFAULT_PADDING,
    INT8_FORMATS,
    PORTABLE_INT8_FORMAT,
    PREPROCESSING_KEY,
    TOPDOWN_CROP,
)

if TYPE_CHECKING:
    from mmengine.config import Config

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
# log-softmax included): INT8 quantization leaves exactly these in float.
DECODE_SCOPE = 'decode'


class _Scope(nn.Module):
    """No weights: calls ``fn(*args)``, so that the exporter names the nodes
    traced inside after this module's attribute name."""

    def forward(self, fn: Callable[..., Any], *args: Any) -> Any:
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

    def _decode(self, outputs: Tensor | tuple[Tensor, ...]) -> tuple[Tensor, ...]:
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
            set_metadata(tmp, metadata)
    return path


def set_metadata(path: Path, metadata: Mapping[str, str]) -> None:
    """Add (or replace) ``metadata_props`` entries of the ONNX file at ``path``."""
    import onnx

    model = onnx.load(str(path))
    props = {p.key: p.value for p in model.metadata_props}
    props.update(metadata)
    onnx.helper.set_model_props(model, props)
    onnx.save(model, str(path))


def _transform_name(transform: Mapping) -> str:
    kind = transform.get('type', '?')
    return kind if isinstance(kind, str) else getattr(kind, '__name__', str(kind))


def _crop_from_config(cfg: Config | None, input_size: Sequence[int]) -> tuple[str, float]:
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
        '--int8-crops',
        '--calib',
        dest='int8_crops',
        type=int,
        default=64,
        metavar='N',
        help="crops of the config's val_dataloader that set the INT8 ranges (default 64)",
    )
    parser.add_argument(
        '--int8-format',
        choices=list(INT8_FORMATS),
        default=PORTABLE_INT8_FORMAT,
        help=f'{PORTABLE_INT8_FORMAT} (default): 7-bit weights, exact on every CPU; '
        'u8s8: 8-bit weights, for CPUs with VNNI or AMX, and ARM, only; '
        'u8u8: uint8 weights, exact everywhere, slower',
    )
    parser.add_argument(
        '--threads',
        type=int,
        default=None,
        help='onnxruntime threads for the INT8 latency check (default: its own)',
    )
    args = parser.parse_args(argv)
    if args.int8_crops < 1:
        parser.error(f'--int8-crops must be at least 1, got {args.int8_crops}')

    from mmpose.apis import init_model

    from .int8 import int8_on_this_cpu, quantization_crops, quantize_int8

    model = init_model(args.config, args.checkpoint, device='cpu')
    out = export_onnx(model, args.out, args.opset)
    print(out)
    if args.int8:
        crops = quantization_crops(model, model.cfg, args.int8_crops)
        int8 = quantize_int8(
            out, out.with_name(f'{out.stem}.int8.onnx'), crops, int8_format=args.int8_format
        )
        print(f'{int8}: {args.int8_format}, {INT8_FORMATS[args.int8_format]}')
        report = int8_on_this_cpu(out, int8, crops[:1], args.threads)
        print(
            f'on this CPU ({report["isa"]}), batch 1: FP32 {report["fp32_ms"]:.2f} ms, '
            f'INT8 {report["int8_ms"]:.2f} ms; {report["advice"]}'
        )


if __name__ == '__main__':
    main()
