"""Learned accuracy at low resolution: the same MobileNetV2 (H3R's cut, 152
fused channels), schedule and seed, trained on the generated faces with

  (i)   MSRAHeatmap + KeypointMSELoss (HeatmapHead, 1x1 conv block), sigma
        scaled with the heatmap as MMPose does (2 at 64x64), at least 1
  (ii)  MSRAHeatmap with DARK decoding
  (iii) SimCC as RTMPose labels it (SimCCHead + KLDiscretLoss)
  (iv)  randomized rounding (RandomizedRoundingHead + SpatialSoftmaxCELoss)

at inputs 256, 128 and 64 (heatmaps 1/4 of the input), 2 seeds each.
Reports NME on the generated test split and train / inference throughput
as ratios against (i) at the same input size, all measured in this run.
"""

from __future__ import annotations

import argparse
import copy
import json
import time
from pathlib import Path

import numpy as np
import torch
from mmengine.config import Config
from mmengine.runner import Runner

REPO = Path(__file__).resolve().parents[2]
DEMO = (
    REPO / 'configs/face_2d_keypoint/rr_heatmap/synthetic_faces/'
    'td-hm_mobilenetv2_rr-1xb32-8e_synthetic-faces-128x128.py'
)
CODECS = ('MSRA', 'DARK', 'SimCC', 'RR')


def head_and_codec(name: str, size: int, channels: int = 152, k: int = 68):
    hm = size // 4
    if name in ('MSRA', 'DARK'):
        codec = dict(
            type='MSRAHeatmap',
            input_size=(size, size),
            heatmap_size=(hm, hm),
            sigma=max(1.0, 2.0 * hm / 64),
            unbiased=name == 'DARK',
        )
        head = dict(
            type='HeatmapHead',
            in_channels=channels,
            out_channels=k,
            deconv_out_channels=None,
            conv_out_channels=(channels,),
            conv_kernel_sizes=(1,),
            loss=dict(type='KeypointMSELoss', use_target_weight=True),
            decoder=codec,
        )
        test_cfg = dict(flip_test=True, flip_mode='heatmap', shift_heatmap=True)
    elif name == 'SimCC':
        codec = dict(
            type='SimCCLabel',
            input_size=(size, size),
            sigma=(5.66 * size / 256,) * 2,
            simcc_split_ratio=2.0,
            normalize=False,
            use_dark=False,
        )
        head = dict(
            type='SimCCHead',
            in_channels=channels,
            out_channels=k,
            input_size=(size, size),
            in_featuremap_size=(hm, hm),
            simcc_split_ratio=2.0,
            deconv_out_channels=None,
            loss=dict(type='KLDiscretLoss', use_target_weight=True, beta=10.0, label_softmax=True),
            decoder=codec,
        )
        test_cfg = dict(flip_test=True)
    else:
        codec = dict(
            type='RandomizedRoundingHeatmap', input_size=(size, size), heatmap_size=(hm, hm), topk=9
        )
        head = dict(
            type='RandomizedRoundingHead',
            in_channels=channels,
            out_channels=k,
            loss=dict(type='SpatialSoftmaxCELoss'),
            decoder=codec,
        )
        test_cfg = dict(flip_test=True)
    return codec, head, test_cfg


def build_config(
    name: str, size: int, seed: int, epochs: int, data_root: Path, work_dir: Path, num_train: int
) -> Config:
    cfg = Config.fromfile(str(DEMO))
    codec, head, test_cfg = head_and_codec(name, size)
    cfg.model.head = head
    cfg.model.test_cfg = test_cfg
    cfg.randomness = dict(seed=seed)
    cfg.work_dir = str(work_dir)
    cfg.train_cfg = dict(by_epoch=True, max_epochs=epochs, val_interval=epochs)
    cfg.param_scheduler = [
        dict(type='LinearLR', begin=0, end=30, start_factor=0.01, by_epoch=False),
        dict(
            type='CosineAnnealingLR', begin=0, end=epochs, T_max=epochs, by_epoch=True, eta_min=1e-5
        ),
    ]
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=-1, save_last=False)
    cfg.default_hooks.logger.interval = 50
    for loader_name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg[loader_name]
        loader.dataset.data_root = str(data_root)
        for t in loader.dataset.pipeline:
            if t.type == 'TopdownAffine':
                t.input_size = (size, size)
            if t.type == 'GenerateTarget':
                t.encoder = copy.deepcopy(codec)
    cfg.train_dataloader.dataset.indices = num_train
    return cfg


def inference_throughput(model, size: int, batch: int = 32, repeats: int = 5) -> float:
    """Images/s of backbone + head + decoding (no flip test), batch 32."""
    from mmpose.structures import PoseDataSample

    model.eval()
    inputs = torch.randn(batch, 3, size, size)
    samples = [PoseDataSample(metainfo=dict(input_size=(size, size))) for _ in range(batch)]

    def predict():
        return model.head.predict(model.extract_feat(inputs), samples, test_cfg={})

    with torch.no_grad():
        predict()
        start = time.perf_counter()
        for _ in range(repeats):
            predict()
    return batch * repeats / (time.perf_counter() - start)


def run_one(name, size, seed, epochs, data_root, work_root, num_train, batch) -> dict:
    work_dir = work_root / f'{name}-{size}-seed{seed}'
    cfg = build_config(name, size, seed, epochs, data_root, work_dir, num_train)
    cfg.train_dataloader.batch_size = batch
    runner = Runner.from_cfg(cfg)
    start = time.perf_counter()
    runner.train()
    train_time = time.perf_counter() - start
    metrics = runner.val_loop.run()
    return dict(
        codec=name,
        input=size,
        seed=seed,
        epochs=epochs,
        nme=100 * float(metrics['NME']),
        train_img_s=num_train * epochs / train_time,
        infer_img_s=inference_throughput(runner.model, size),
    )


def summarise(rows: list) -> list:
    out = []
    for size in sorted({r['input'] for r in rows}, reverse=True):
        base = [r for r in rows if r['input'] == size and r['codec'] == 'MSRA']
        base_train = np.mean([r['train_img_s'] for r in base])
        base_infer = np.mean([r['infer_img_s'] for r in base])
        for name in CODECS:
            cell = [r for r in rows if r['input'] == size and r['codec'] == name]
            if not cell:
                continue
            nmes = [r['nme'] for r in cell]
            out.append(
                dict(
                    codec=name,
                    input=size,
                    seeds=len(cell),
                    nme_mean=float(np.mean(nmes)),
                    nme_spread=float(np.ptp(nmes)) if len(nmes) > 1 else None,
                    train_ratio=float(np.mean([r['train_img_s'] for r in cell]) / base_train),
                    infer_ratio=float(np.mean([r['infer_img_s'] for r in cell]) / base_infer),
                )
            )
    return out


def table(summary: list) -> str:
    lines = [
        '| input | codec | NME % (mean of seeds) | spread (max-min) | seeds | '
        'train img/s vs MSRA | inference img/s vs MSRA |',
        '|---|---|---|---|---|---|---|',
    ]
    for s in summary:
        spread = '-' if s['nme_spread'] is None else f'{s["nme_spread"]:.2f}'
        lines.append(
            f'| {s["input"]} | {s["codec"]} | {s["nme_mean"]:.2f} | {spread} | '
            f'{s["seeds"]} | {s["train_ratio"]:.2f} | {s["infer_ratio"]:.2f} |'
        )
    return '\n'.join(lines)


# The same samples and iterations at every size (equal data, not equal
# compute): batch 16, 150 iterations. About 35 minutes on 2 cores; 256 runs
# one seed only, to keep the whole study inside the hour.
PLANS = {
    True: dict(sizes=(128, 64), seeds={128: (0,), 64: (0,)}, epochs=2, num_train=320, batch=16),
    False: dict(
        sizes=(256, 128, 64),
        seeds={256: (0,), 128: (0, 1), 64: (0, 1)},
        epochs=3,
        num_train=800,
        batch=16,
    ),
}


def describe(quick: bool) -> str:
    plan = PLANS[quick]
    iterations = plan['num_train'] * plan['epochs'] // plan['batch']
    return (
        f"MobileNetV2 (H3R's cut) trained from scratch on the first {plan['num_train']} "
        f'generated training faces for {plan["epochs"]} epochs at batch {plan["batch"]} '
        f'({iterations} iterations) at every input size, seeds per size {plan["seeds"]}, '
        'Adam 2e-3 with 30 warm-up iterations and cosine decay, evaluated on the 300 generated '
        'test faces with flip test. Throughput ratios are against MSRAHeatmap at the same input '
        'size, measured in the same run (training: images/s of the whole train loop; '
        'inference: batch 32 backbone + head + decoding, no flip).'
    )


def run_study(
    quick: bool,
    data_root: Path = REPO / 'data/synthetic_faces',
    work_dir: Path = REPO / 'work_dirs/learned_accuracy',
    out: Path = REPO / 'docs/benchmarks',
) -> list:
    torch.set_num_threads(2)
    plan = PLANS[quick]
    if not (data_root / 'annotations/face_landmarks_300w_test.json').is_file():
        from rr_mmpose.datasets import generate_dataset

        generate_dataset(data_root)
    rows = []
    for size in plan['sizes']:
        for seed in plan['seeds'][size]:
            for name in CODECS:
                rows.append(
                    run_one(
                        name,
                        size,
                        seed,
                        plan['epochs'],
                        data_root,
                        work_dir,
                        plan['num_train'],
                        plan['batch'],
                    )
                )
                print(json.dumps(rows[-1]), flush=True)
    summary = summarise(rows)
    out.mkdir(parents=True, exist_ok=True)
    suffix = '_quick' if quick else ''
    (out / f'learned_accuracy{suffix}.json').write_text(
        json.dumps(
            dict(plan={k: str(v) for k, v in plan.items()}, runs=rows, summary=summary), indent=1
        )
    )
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--quick', action='store_true', help='a few minutes: 128 and 64 only')
    args = parser.parse_args()
    print(table(run_study(args.quick)))


if __name__ == '__main__':
    main()
