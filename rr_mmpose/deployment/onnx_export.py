"""Export a top-down randomized rounding model, decoding included, to ONNX."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import Tensor, nn


class DecodedPoseModel(nn.Module):
    """Backbone, neck, head and the codec's top-k decoding in one graph.

    Input: a batch of preprocessed crops (B, 3, h, w), i.e. after
    ``TopdownAffine`` and the data preprocessor's normalisation.
    Outputs: keypoints (B, K, 2) in crop pixels and scores (B, K), and with
    ``with_maps`` the per-cell log-probabilities (B, K, H, W) as well. Flip
    test is left out (run the exported model on mirrored crops if needed).
    """

    def __init__(self, pose_model: nn.Module, with_maps: bool = False) -> None:
        super().__init__()
        self.pose_model = pose_model
        self.head = pose_model.head
        self.with_maps = with_maps

    def forward(self, inputs: Tensor) -> tuple[Tensor, ...]:
        feats = self.pose_model.extract_feat(inputs)
        maps = self.head.score_maps(self.head.forward(feats))
        keypoints, scores = self.head.decoder.decode_tensor(maps)
        return (keypoints, scores, maps) if self.with_maps else (keypoints, scores)


def export_onnx(
    pose_model: nn.Module, path: str | Path, opset: int = 17, with_maps: bool = False
) -> Path:
    """Write ``path`` with a dynamic batch dimension; returns the path."""
    wrapper = DecodedPoseModel(pose_model, with_maps).eval()
    outputs = ['keypoints', 'scores'] + (['maps'] if with_maps else [])
    w, h = pose_model.head.decoder.input_size
    dummy = torch.zeros(1, 3, h, w)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(
            wrapper,
            (dummy,),
            str(path),
            opset_version=opset,
            dynamo=False,
            input_names=['input'],
            output_names=outputs,
            dynamic_axes={name: {0: 'batch'} for name in ['input', *outputs]},
        )
    return path


def main(argv: list[str] | None = None) -> None:
    """``python -m rr_mmpose.deployment.onnx_export CONFIG [CHECKPOINT] --out model.onnx``"""
    import argparse

    from mmpose.apis import init_model

    import rr_mmpose  # noqa: F401  (registers the codec, head and losses)

    parser = argparse.ArgumentParser(description='Export CONFIG + CHECKPOINT to ONNX')
    parser.add_argument('config')
    parser.add_argument('checkpoint', nargs='?', help='omit to export random weights')
    parser.add_argument('--out', default='work_dirs/model.onnx')
    parser.add_argument('--opset', type=int, default=17)
    args = parser.parse_args(argv)
    model = init_model(args.config, args.checkpoint, device='cpu')
    print(export_onnx(model, args.out, args.opset))


if __name__ == '__main__':
    main()
