"""On a GPU: training throughput and inference latency of the H3R HRNet-W18
WFLW config against MMPose's own HRNetV2-W18 MSRAHeatmap WFLW config, same
card, same run. Under 8 minutes on one H100; synthetic inputs (no dataset).

    python -m tools.benchmarks.gpu_throughput --out gpu_throughput.json

Training: images/s of model.train_step (forward, loss, backward, Adam step)
at batch 64, 256x256, 98 points, targets from each config's own codec.
Inference: ms per batch of 1 and 64 for model.test_step with flip test.
"""

from __future__ import annotations

import argparse
import json
import time
from functools import partial

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmpose.datasets.datasets.utils import parse_pose_metainfo
from mmpose.datasets.transforms import GenerateTarget, PackPoseInputs
from mmpose.registry import MODELS
from mmpose.utils import register_all_modules

import rr_mmpose  # noqa: F401
from rr_mmpose.utils import mmpose_config

CONFIGS = {
    'MSRAHeatmap (MMPose HRNetV2-W18)': mmpose_config(
        'face_2d_keypoint/topdown_heatmap/wflw/td-hm_hrnetv2-w18_8xb64-60e_wflw-256x256.py'
    ),
    'RandomizedRounding (this repo)': 'configs/face_2d_keypoint/rr_heatmap/wflw/'
    'td-hm_hrnetv2-w18_rr-8xb64-60e_wflw-p2-256x256.py',
}


def batch(cfg, size: int, n: int, rng) -> dict:
    meta = parse_pose_metainfo(dict(from_file='configs/_base_/datasets/wflw.py'))
    generate, pack = GenerateTarget(encoder=cfg.codec), PackPoseInputs()
    samples = []
    for _ in range(n):
        keypoints = rng.uniform(20, size - 20, (1, 98, 2)).astype(np.float32)
        results = dict(
            img=rng.integers(0, 255, (size, size, 3), dtype=np.uint8),
            keypoints=keypoints,
            keypoints_visible=np.ones((1, 98), np.float32),
            bbox=np.array([[0, 0, size, size]], np.float32),
            bbox_center=np.array([[size / 2] * 2], np.float32),
            bbox_scale=np.array([[size] * 2], np.float32),
            bbox_score=np.ones(1, np.float32),
            input_size=(size, size),
            input_center=np.array([size / 2] * 2),
            input_scale=np.array([size] * 2),
            img_shape=(size, size),
            ori_shape=(size, size),
            img_id=0,
            id=0,
            img_path='',
            **meta,
        )
        samples.append(pack(generate(results)))
    return pseudo_collate(samples)


def timed(fn, repeats: int) -> float:
    sync = torch.cuda.synchronize if torch.cuda.is_available() else (lambda: None)
    sync()
    t = time.perf_counter()
    for _ in range(repeats):
        fn()
    sync()
    return (time.perf_counter() - t) / repeats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default='gpu_throughput.json')
    parser.add_argument('--train-iters', type=int, default=30)
    parser.add_argument('--batch', type=int, default=64)
    parser.add_argument('--smoke', action='store_true', help='CPU, tiny: checks the script runs')
    args = parser.parse_args()
    if not (args.smoke or torch.cuda.is_available()):
        raise SystemExit('this benchmark needs a GPU (or --smoke to check it on the CPU)')
    device = 'cpu' if args.smoke else 'cuda'
    repeats = 1 if args.smoke else 20
    register_all_modules()
    torch.backends.cudnn.benchmark = True
    rng = np.random.default_rng(0)
    rows = []
    for name, config in CONFIGS.items():
        cfg = Config.fromfile(str(config))
        cfg.model.backbone.init_cfg = None
        model = MODELS.build(cfg.model).to(device)
        optim = build_optim_wrapper(model, cfg.optim_wrapper)
        train_batch = batch(cfg, 256, args.batch, rng)
        model.train()
        for _ in range(1 if args.smoke else 5):
            model.train_step(train_batch, optim)
        iters = 1 if args.smoke else args.train_iters
        step = timed(partial(model.train_step, train_batch, optim), iters)
        model.eval()
        latency = {}
        for n in (1, args.batch):
            test_batch = batch(cfg, 256, n, rng)
            with torch.no_grad():
                model.test_step(test_batch)
                latency[n] = 1e3 * timed(partial(model.test_step, test_batch), repeats)
        rows.append(
            dict(
                config=name,
                batch=args.batch,
                train_img_s=args.batch / step,
                infer_ms_batch1=latency[1],
                infer_ms_batch=latency[args.batch],
            )
        )
        print(json.dumps(rows[-1]), flush=True)
    card = 'cpu (smoke)' if args.smoke else torch.cuda.get_device_name()
    result = dict(device=card, torch=torch.__version__, rows=rows)
    with open(args.out, 'w') as f:
        json.dump(result, f, indent=1)
    print(json.dumps(result, indent=1))


if __name__ == '__main__':
    main()
