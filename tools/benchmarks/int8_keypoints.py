"""Keypoints of ONNX models on stored crops, with numpy and onnxruntime
only, so that it also runs under an emulated CPU (the edge study runs it
under QEMU as an x86 CPU without VNNI).

    python -m tools.benchmarks.int8_keypoints CROPS.npy OUT.npz MODEL.onnx ...

Writes one array of keypoints (N, K, 2) per model, named by its file's stem.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import onnxruntime as ort

BATCH = 8


def keypoints(model: Path, crops: np.ndarray) -> np.ndarray:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    sess = ort.InferenceSession(str(model), options, providers=['CPUExecutionProvider'])
    batches = range(0, len(crops), BATCH)
    return np.concatenate(
        [sess.run(['keypoints'], {'input': crops[i : i + BATCH]})[0] for i in batches]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('crops', type=Path)
    parser.add_argument('out', type=Path)
    parser.add_argument('models', type=Path, nargs='+')
    args = parser.parse_args()
    crops = np.load(args.crops)
    np.savez(args.out, **{m.stem: keypoints(m, crops) for m in args.models})


if __name__ == '__main__':
    main()
