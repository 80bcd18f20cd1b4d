"""End-to-end parity with H3R's original inference pipeline.

    python -m tools.benchmarks.h3r_pipeline_parity [--checkpoint CKPT] [--num N]

A trained model (default: the demo's, from `make demo`: MobileNetV2,
128x128, 68 points) is written out in H3R's released layout (config.yaml +
model.pth; a head with one map per keypoint gets zero class-0 logits, so
H3R's raw-logit decoder reads the trained maps), converted back with
rr_mmpose.h3r's converter, and run on the generated test faces with their
boxes by

  (H3R)     H3R's pipeline (rr_mmpose.h3r.reference: PIL crop, torchvision
            resize, flip test, linear map back) on the original-layout weights;
  (affine)  MMPoseInferencer with the matching 300W config (TopdownAffine);
  (option)  MMPoseInferencer with rr_mmpose.h3r.h3r_inference_config.

Both MMPose runs decode raw logits as H3R does, so only the preprocessing
differs. Images are decoded once with OpenCV and handed to all three (JPEG
decoders may differ by a grey level).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import cv2
import numpy as np
import torch
from mmengine.config import Config
from mmpose.apis import MMPoseInferencer
from mmpose.datasets import Face300WDataset
from mmpose.datasets.datasets.utils import parse_pose_metainfo
from PIL import Image

from rr_mmpose import config_path
from rr_mmpose.apis import FixedFaceBoxes, use_face_boxes
from rr_mmpose.h3r import (
    convert_h3r_checkpoint,
    h3r_inference_config,
    h3r_state_dict,
    merge_h3r_config,
)
from rr_mmpose.h3r.reference import H3RDetector, H3RNetwork, write_h3r_model_dir

REPO = Path(__file__).resolve().parents[2]
CONFIG = config_path(
    'face_2d_keypoint/rr_heatmap/300w/td-hm_mobilenetv2_rr-8xb64-60e_300w-p2-128x128.py'
)
DEMO_CHECKPOINT = REPO / 'work_dirs/demo/epoch_8.pth'
DATA = REPO / 'data/synthetic_faces'
OUTER_EYE_CORNERS = (36, 45)


def h3r_layout(checkpoint: Path, k: int = 68) -> dict:
    """The checkpoint's weights in H3R's layout with a 2K-logit head."""
    state = torch.load(checkpoint, map_location='cpu', weights_only=True)['state_dict']
    last = state['head.layers.3.weight']
    if last.shape[0] == k:  # one logit map per keypoint: class 0 gets zeros
        state = dict(state)
        state['head.layers.3.weight'] = torch.cat([torch.zeros_like(last), last])
    return h3r_state_dict(state, 'mobilenetv2')


def inferencer(cfg: Config, weights: Path) -> MMPoseInferencer:
    return MMPoseInferencer(
        pose2d=cfg, pose2d_weights=str(weights), device='cpu', det_model='whole_image'
    )


def predict(pose: MMPoseInferencer, image: np.ndarray, box: list) -> np.ndarray:
    use_face_boxes(pose, FixedFaceBoxes([box]))
    (face,) = next(pose(image))['predictions'][0]
    return np.asarray(face['keypoints'])


def measure(checkpoint: Path = DEMO_CHECKPOINT, num: int = 300, data: Path = DATA) -> dict:
    torch.set_num_threads(2)
    state = h3r_layout(checkpoint)
    flip = parse_pose_metainfo(Face300WDataset.METAINFO)['flip_indices']
    # The keys H3R's 300W MobileNetV2 128x128 config.yaml sets.
    h3r_yaml = dict(
        INPUT=dict(DATASET='F300W', SIZE=[128, 128], BBOX='P2', FLIP_ORDER=flip),
        BACKBONE=dict(ARCH='mobilenetv2'),
        HEATMAP=dict(IN_CHANNEL=152, PROJ_CHANNEL=152, OUT_CHANNEL=68, TOPK=9),
    )
    net = H3RNetwork(merge_h3r_config(h3r_yaml))
    net.load_state_dict(state)
    reference = H3RDetector(merge_h3r_config(h3r_yaml), net)

    with tempfile.TemporaryDirectory() as tmp:
        model_dir = write_h3r_model_dir(Path(tmp) / 'mobilenet_128x128_p2', state, h3r_yaml)
        converted = convert_h3r_checkpoint(model_dir, Path(tmp) / 'converted.pth')
        affine_cfg = Config.fromfile(str(CONFIG))
        affine_cfg.model.head.decode_scores = 'logits'
        runs = {
            'affine': inferencer(affine_cfg, converted),
            'option': inferencer(h3r_inference_config(CONFIG), converted),
        }
        doc = json.loads((data / 'annotations/face_landmarks_300w_test.json').read_text())
        points = {name: [] for name in ('H3R', 'gt', *runs)}
        for image_info, ann in list(zip(doc['images'], doc['annotations'], strict=True))[:num]:
            image = cv2.imread(str(data / 'images' / image_info['file_name']))
            x, y, w, h = ann['bbox']
            box = [x, y, x + w, y + h]
            points['H3R'].append(reference(Image.fromarray(image[..., ::-1]), np.array([box]))[0])
            points['gt'].append(np.array(ann['keypoints'], np.float64).reshape(-1, 3)[:, :2])
            for name, pose in runs.items():
                points[name].append(predict(pose, image, box))
    points = {name: np.array(p) for name, p in points.items()}
    i, j = OUTER_EYE_CORNERS
    ocular = np.linalg.norm(points['gt'][:, i] - points['gt'][:, j], axis=-1)

    def nme(pred: np.ndarray) -> float:
        return float(100 * (np.linalg.norm(pred - points['gt'], axis=-1).mean(1) / ocular).mean())

    rows = []
    for name in ('H3R', 'affine', 'option'):
        delta = points[name] - points['H3R']
        dist = np.linalg.norm(delta, axis=-1)
        rows.append(
            dict(
                pipeline=name,
                nme=nme(points[name]),
                mean_px=float(dist.mean()),
                p95_px=float(np.percentile(dist, 95)),
                max_px=float(dist.max()),
                mean_pct_ocular=float(100 * (dist.mean(1) / ocular).mean()),
                mean_dx=float(delta[..., 0].mean()),
                mean_dy=float(delta[..., 1].mean()),
            )
        )
    return dict(
        faces=len(ocular),
        mean_ocular_px=float(ocular.mean()),
        checkpoint=str(
            checkpoint.relative_to(REPO) if checkpoint.is_relative_to(REPO) else checkpoint
        ),
        rows=rows,
    )


LABELS = {
    'H3R': "H3R's own pipeline (reference)",
    'affine': 'MMPoseInferencer, TopdownAffine (default config)',
    'option': 'MMPoseInferencer, `h3r_inference_config(config)`',
}


def table(result: dict) -> str:
    lines = [
        '| pipeline | NME vs ground truth (%) | distance to H3R: mean / p95 / max (px) '
        '| mean / ocular (%) | mean offset dx, dy (px) |',
        '|---|---|---|---|---|',
    ]
    for row in result['rows']:
        lines.append(
            f'| {LABELS[row["pipeline"]]} | {row["nme"]:.3f} | {row["mean_px"]:.2e} / '
            f'{row["p95_px"]:.2e} / {row["max_px"]:.2e} | {row["mean_pct_ocular"]:.3f} | '
            f'{row["mean_dx"]:+.3f}, {row["mean_dy"]:+.3f} |'
        )
    return '\n'.join(lines)


def describe(result: dict) -> str:
    return (
        f"The demo model ({result['checkpoint']}) written out in H3R's released layout, "
        'converted back, and run on the generated test faces (tight landmark boxes; '
        f'{result["faces"]} faces, mean outer-eye-corner distance '
        f"{result['mean_ocular_px']:.1f} px at 256x256) by H3R's pipeline and by MMPoseInferencer "
        'with and without the H3R pipeline option; both MMPose runs decode raw logits as H3R '
        'does. Distances are per landmark, in image pixels.'
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--checkpoint', type=Path, default=DEMO_CHECKPOINT)
    parser.add_argument('--num', type=int, default=300)
    parser.add_argument(
        '--out', type=Path, default=REPO / 'docs/benchmarks/h3r_pipeline_parity.json'
    )
    args = parser.parse_args()
    if not args.checkpoint.is_file():
        raise SystemExit(f'{args.checkpoint}: no checkpoint; `make demo` trains one')
    result = measure(args.checkpoint.resolve(), args.num)
    args.out.write_text(json.dumps(result, indent=1))
    print(describe(result))
    print()
    print(table(result))


if __name__ == '__main__':
    main()
