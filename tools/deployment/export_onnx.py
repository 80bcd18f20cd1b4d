"""Export CONFIG + CHECKPOINT (backbone, head and decoding) to ONNX.

    python tools/deployment/export_onnx.py CONFIG CHECKPOINT --out model.onnx

The graph takes preprocessed crops (B, 3, h, w) and returns keypoints
(B, K, 2) in crop pixels and scores (B, K); the batch is dynamic.
"""

from rr_mmpose.deployment.onnx_export import main

if __name__ == '__main__':
    main()
