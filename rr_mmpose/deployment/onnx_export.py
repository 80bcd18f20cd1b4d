"""Export a top-down randomized rounding model, decoding included, to ONNX.

python -m rr_mmpose.deployment.onnx_export CONFIG [CHECKPOINT] --out model.onnx
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

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
    mirrored crops if needed).
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

    def forward(self, inputs: Tensor) -> tuple[Tensor, ...]:
        outputs = self.head.forward(self.pose_model.extract_feat(inputs))
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
) -> Path:
    """Export ``module`` with the TorchScript exporter, every input and
    output with a dynamic batch dimension; the file appears whole or not at
    all. Returns the path."""
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
    return path


def export_onnx(
    pose_model: nn.Module, path: str | Path, opset: int = 17, with_maps: bool = False
) -> Path:
    """Write the model with its decoding to ``path``: input ``input``
    (B, 3, h, w), outputs ``keypoints``, ``scores`` (and ``maps``)."""
    wrapper = DecodedPoseModel(pose_model, with_maps)
    outputs = ['keypoints', 'scores'] + (['maps'] if with_maps else [])
    w, h = pose_model.head.decoder.input_size
    return export_graph(wrapper, [torch.zeros(1, 3, h, w)], path, ['input'], outputs, opset)


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
    args = parser.parse_args(argv)

    from mmpose.apis import init_model

    model = init_model(args.config, args.checkpoint, device='cpu')
    print(export_onnx(model, args.out, args.opset))


if __name__ == '__main__':
    main()
