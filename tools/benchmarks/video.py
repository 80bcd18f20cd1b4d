"""Steady landmarks on video: generated clips of a face moving by sub-pixel
steps, slowly turning and scaling, with exact per-frame landmarks.

    python -m tools.benchmarks.video [--clips 4]

Each model is a row at convergence (seed 0, trained on the generated faces:
the heatmap rows of the ``resolution`` study, the RTMPose rows of the
``rtmpose`` study), at 128 and at 64 input:
randomized rounding (heatmap and SimCC) against MSRA, MSRA + DARK (the MSRA
weights, DARK decoding) and stock SimCC. Every frame goes through MMPose's
``inference_topdown`` with one box per clip (flip test on, as configured).
Figures (``rr_mmpose.evaluation.video_metrics``): NME, jitter (RMS of the
frame-to-frame change of the error, % of the outer-eye-corner distance),
staircase rate (frames where a landmark stays still while the truth moves
more than a tenth of a pixel) and lag (the delay that best correlates
predicted and true motion), without and with a One-Euro filter.
"""

from __future__ import annotations

import argparse
import json

import numpy as np
from mmpose.registry import KEYPOINT_CODECS

from . import resolution, rows, rtmpose, study

TITLE = 'Steady landmarks on video'  # of its section

MODELS = [
    resolution.named('mobilenetv2 128 two-class spatial'),
    resolution.named('mobilenetv2 128 MSRA'),
    rtmpose.named('rtmpose-t 128 SimCCLabel s=2'),
    rtmpose.named('rtmpose-t 128 RR s=2'),
    resolution.named('mobilenetv2 64 two-class spatial'),
    resolution.named('mobilenetv2 64 MSRA'),
    rtmpose.named('rtmpose-t 64 SimCCLabel s=2'),
    rtmpose.named('rtmpose-t 64 RR s=1'),
]
ONE_EURO = dict(type='OneEuroFilter', min_cutoff=1.0, beta=0.05, fps=30)
FRAMES, SIZE, SEED = 120, 256, 0


def clip_box(clip) -> np.ndarray:
    """One box for the whole clip, (1, 4): the union of its frames'
    landmark boxes, as a steady tracker would hold it. A box that followed
    the landmarks frame by frame would move every crop by sub-pixel steps,
    hiding whether the codec itself steps."""
    return np.concatenate([clip.boxes[:, :2].min(0), clip.boxes[:, 2:].max(0)])[None]


def predict_clip(model, clip) -> np.ndarray:
    """(T, 68, 2) landmarks, one ``inference_topdown`` call per frame."""
    from mmpose.apis import inference_topdown

    box = clip_box(clip)
    out = []
    for frame in clip.frames:
        (sample,) = inference_topdown(model, frame, box)
        out.append(sample.pred_instances.keypoints[0])
    return np.array(out)


def figures(pred: np.ndarray, gt: np.ndarray) -> dict:
    from rr_mmpose.evaluation.video_metrics import (
        jitter,
        lag,
        outer_eye_distance,
        outer_eye_nme,
        staircase_rate,
    )

    ocular = outer_eye_distance(gt)
    return dict(
        nme=outer_eye_nme(pred, gt),
        jitter=float(jitter(pred, gt, ocular)),
        staircase=float(staircase_rate(pred, gt)),
        lag=int(lag(pred, gt)),
    )


def one_euro(pred: np.ndarray) -> np.ndarray:
    from rr_mmpose.apis import build_landmark_filter

    smooth = build_landmark_filter(dict(ONE_EURO))
    return np.array([smooth(frame) for frame in pred])


def measure(num_clips: int = 4) -> dict:
    import torch

    from rr_mmpose.datasets.generate_video import render_clip

    torch.set_num_threads(2)
    clips = [render_clip(np.random.default_rng([SEED, i]), FRAMES, SIZE) for i in range(num_clips)]
    measured = []
    for trained in MODELS:
        row = trained.row
        model, cfg, weights = rows.trained_model(trained.study, row)
        decoders = {row.objective: None}
        decoders.update({name: rows.redecoder(row, name) for name in row.redecoded})
        for objective, decoder in decoders.items():
            if decoder is not None:
                model.head.decoder = KEYPOINT_CODECS.build(decoder)
            plain, filtered = [], []
            for clip in clips:
                pred = predict_clip(model, clip)
                plain.append(figures(pred, clip.keypoints))
                filtered.append(figures(one_euro(pred), clip.keypoints))
            entry = dict(
                study=trained.study, arch=row.arch, input=row.input, row=objective, weights=weights
            )
            for name, runs in (('', plain), ('one_euro_', filtered)):
                for key in plain[0]:
                    entry[name + key] = float(np.mean([r[key] for r in runs]))
            measured.append(entry)
            print(json.dumps(entry), flush=True)
    return dict(clips=num_clips, frames=FRAMES, size=SIZE, one_euro=ONE_EURO, rows=measured)


def table(result: dict) -> str:
    lines = [
        '| backbone | input | objective | NME % | jitter % | staircase rate | lag | '
        'One-Euro: NME % | One-Euro: jitter % | One-Euro: lag |',
        '|---|---|---|---|---|---|---|---|---|---|',
    ]
    for r in result['rows']:
        lines.append(
            f'| {r["arch"]} | {r["input"]} | {r["row"]} | {r["nme"]:.2f} | {r["jitter"]:.3f} | '
            f'{r["staircase"]:.3f} | {r["lag"]:.1f} | {r["one_euro_nme"]:.2f} | '
            f'{r["one_euro_jitter"]:.3f} | {r["one_euro_lag"]:.1f} |'
        )
    return '\n'.join(lines)


def section(result: dict, results: dict) -> str:
    settings = ', '.join(f'{k}={v}' for k, v in result['one_euro'].items() if k != 'type')
    return '\n'.join(
        [
            f'## {TITLE}',
            '',
            f'{result["clips"]} generated clips of {result["frames"]} frames at '
            f'{result["size"]}x{result["size"]} (`rr_mmpose.datasets.generate_video.render_clip`'
            ': one generated face warped by a smooth affine motion, a few tenths of a pixel per '
            'frame, slowly turning and scaling; exact per-frame landmarks). Models: '
            f'{rows.models_measured(result["rows"])}, trained on the generated faces; '
            "MMPose's "
            '`inference_topdown` per frame with the landmark box, flip test on. Jitter: RMS of '
            'the frame-to-frame change of the error, % of the outer-eye-corner distance; '
            'staircase rate: share of landmark steps where the truth moves more than a tenth of '
            'a pixel and the prediction stays still; lag: the frame delay that best correlates '
            'predicted and true motion. One-Euro: the same predictions through '
            f'`OneEuroFilter` ({settings}). '
            'Means over the clips.',
            '',
            table(result),
            *rows.retrained_paragraph(result['rows'], results, COMMAND),
        ]
    )


COMMAND = 'python -m tools.benchmarks.video'


def run(num_clips: int = 4) -> dict:
    study.save('video', measure(num_clips))
    return study.load('video')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--clips', type=int, default=4)
    args = parser.parse_args()
    run(args.clips)


if __name__ == '__main__':
    main()
