"""Export CONFIG + CHECKPOINT (backbone, head and decoding) to ONNX.

    python tools/deployment/export_onnx.py CONFIG CHECKPOINT --out model.onnx

The graph takes preprocessed crops (B, 3, h, w) and returns keypoints
(B, K, 2) in crop pixels and scores (B, K); the batch is dynamic.
"""

import argparse

from mmpose.apis import init_model

import rr_mmpose  # noqa: F401
from rr_mmpose.deployment import export_onnx

if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint', nargs='?', help='omit to export random weights')
    parser.add_argument('--out', default='work_dirs/model.onnx')
    parser.add_argument('--opset', type=int, default=17)
    args = parser.parse_args()
    model = init_model(args.config, args.checkpoint, device='cpu')
    print(export_onnx(model, args.out, args.opset))
