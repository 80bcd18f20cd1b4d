"""Parity of converted H3R models with H3R's code as rebuilt from its source,
for the tests and the benchmarks.

A released ``config.yaml`` gets random weights in H3R's network as rebuilt
(:mod:`rr_mmpose.testing.h3r_reference`), is written out as a model directory,
converted without ``--config``, and both sides run on the same input:

- network: logits and decoded landmarks on the same input tensor;
- end to end: ``MMPoseInferencer`` with :func:`h3r_inference_config` on a
  BGR image and a box, against H3R's ``FacialLandmarkDetector`` pipeline on
  the same image as RGB PIL (crop, resize, flip test, mapping back).

:func:`pipeline_parity` does the same for a *trained* model on the
generated test faces, with and without the H3R inference config.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from rr_mmpose.evaluation.video_metrics import outer_eye_distance, outer_eye_nme
from rr_mmpose.h3r.checkpoint import checkpoint_config, convert_h3r_checkpoint
from rr_mmpose.h3r.h3r_config import load_h3r_config
from rr_mmpose.h3r.inference_config import h3r_inference_config

from .h3r_reference import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    H3RDetector,
    H3RNetwork,
    fit_batch_norm_statistics,
    h3r_decode,
    write_h3r_model_dir,
)

# Random heads give flat maps whose top-k boundary cells are near-ties that
# float rounding may order either way, and deep random networks reach logits
# of any scale; trained maps are peaked at a moderate scale. The last conv is
# scaled so that the logits' standard deviation on face images is this.
LOGIT_STD = 10.0


def face_images(num: int = 2, size: int = 128, seed: int = 0) -> Tensor:
    """Generated faces as H3R feeds them: RGB, ImageNet-normalised."""
    from rr_mmpose.datasets import render_face

    rng = np.random.default_rng(seed)
    images = np.stack([render_face(rng, size=size)[0][..., ::-1] for _ in range(num)])
    tensor = torch.from_numpy(images.astype(np.float32) / 255).permute(0, 3, 1, 2)
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    return (tensor - mean) / torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)


def random_h3r_network(
    config_yaml: str | Path, images: Tensor | None = None, seed: int = 0
) -> tuple[dict, H3RNetwork]:
    """H3R's network for a released ``config.yaml`` with random weights,
    BN statistics fitted on ``images`` (default: generated faces at the
    model's input size) and logits of standard deviation ``LOGIT_STD`` on
    them. Fit them on the inputs a check uses: a random network's
    activations change much with the image content and scale."""
    cfg = load_h3r_config(config_yaml)
    torch.manual_seed(seed)
    net = H3RNetwork(cfg)
    if images is None:
        images = face_images(size=cfg['INPUT']['SIZE'][0], seed=seed)
    fit_batch_norm_statistics(net, images, seed)
    with torch.no_grad():
        last = net.heatmap_head.head.layers[3]
        last.weight.mul_(LOGIT_STD / net.logits(images).std())
    return cfg, net


def h3r_crops(config_yaml: str | Path, image: np.ndarray, boxes: np.ndarray) -> Tensor:
    """The inputs H3R's pipeline makes of a BGR ``image`` and (N, 4)
    ``boxes``, with their mirror images (the flip test's second pass)."""
    from PIL import Image

    detector = H3RDetector(load_h3r_config(config_yaml), nn.Identity())
    crops, _ = detector.inputs(Image.fromarray(image[..., ::-1]), boxes)
    return torch.cat([crops, crops.flip(-1)])


def convert_random_model(
    config_yaml: str | Path, work_dir: str | Path, images: Tensor | None = None, seed: int = 0
) -> tuple[dict, H3RNetwork, Path]:
    """A random H3R model directory for ``config_yaml`` (copied as is; see
    :func:`random_h3r_network` for ``images``) in ``work_dir/h3r``,
    converted without ``--config`` to ``work_dir/converted.pth``."""
    cfg, net = random_h3r_network(config_yaml, images, seed)
    work_dir = Path(work_dir)
    model_dir = write_h3r_model_dir(work_dir / 'h3r', net.state_dict(), Path(config_yaml))
    return cfg, net, convert_h3r_checkpoint(model_dir, work_dir / 'converted.pth')


def load_converted(checkpoint: str | Path, inference: bool = True) -> nn.Module:
    """The converted model, built from the config in its ``meta``; with
    ``inference``, the H3R inference config (crop and raw-logit decoder)."""
    from mmpose.apis import init_model

    meta = torch.load(checkpoint, map_location='cpu', weights_only=True)['meta']
    cfg = checkpoint_config(meta)
    if inference:
        cfg = h3r_inference_config(cfg, scale=meta['h3r_config']['INPUT']['SCALE'])
    cfg.model.backbone.init_cfg = None
    return init_model(cfg, str(checkpoint), device='cpu')


@torch.no_grad()
def network_parity(net: H3RNetwork, model: nn.Module, images: Tensor) -> dict[str, float]:
    """Max |logit difference| and max landmark distance (input pixels) of
    the converted ``model`` (decoding raw logits) against ``net``."""
    theirs = net.logits(images)
    ours = model.head.forward(model.extract_feat(images))
    logit_diff = (ours - theirs.flatten(1, 2)).abs().max().item()
    preds = model.head.decode(model.head.score_maps(ours))
    points = np.stack([p.keypoints[0] for p in preds])
    head = net.heatmap_head
    reference = h3r_decode(theirs, head.topk, head.stride).numpy()
    return dict(
        max_logit_diff=float(logit_diff),
        max_px=float(np.linalg.norm(points - reference, axis=-1).max()),
        logit_std=float(theirs.std()),
    )


def end_to_end_parity(
    cfg: dict, net: H3RNetwork, checkpoint: str | Path, image: np.ndarray, boxes: np.ndarray
) -> dict[str, float]:
    """``MMPoseInferencer`` with the H3R inference config against H3R's
    pipeline: max landmark distance in image pixels over ``boxes``."""
    from mmpose.apis import MMPoseInferencer
    from PIL import Image

    from rr_mmpose.apis import FixedFaceBoxes, use_face_boxes

    meta = torch.load(checkpoint, map_location='cpu', weights_only=True)['meta']
    inferencer = MMPoseInferencer(
        pose2d=h3r_inference_config(checkpoint_config(meta), scale=cfg['INPUT']['SCALE']),
        pose2d_weights=str(checkpoint),
        device='cpu',
        det_model='whole_image',
    )
    use_face_boxes(inferencer, FixedFaceBoxes(boxes))
    # nms_thr=1 keeps overlapping boxes; MMPose loads images as BGR arrays.
    faces = next(inferencer(image, nms_thr=1.0))['predictions'][0]
    order = [int(np.abs(boxes - np.asarray(f['bbox'][0])).sum(1).argmin()) for f in faces]
    if sorted(order) != list(range(len(boxes))):
        raise RuntimeError(f'the inferencer returned faces for boxes {order}')
    ours = np.array([f['keypoints'] for f in faces])[np.argsort(order)]
    theirs = H3RDetector(cfg, net)(Image.fromarray(image[..., ::-1]), boxes)
    return dict(max_px=float(np.linalg.norm(ours - theirs, axis=-1).max()))


# The 300W MobileNetV2 128x128 config, whose layout the demo model has.
PIPELINE_PARITY_CONFIG = (
    'face_2d_keypoint/rr_heatmap/300w/td-hm_mobilenetv2_rr-8xb64-60e_300w-p2-128x128.py'
)


def h3r_layout(checkpoint: str | Path, num_keypoints: int = 68) -> dict:
    """A trained MobileNetV2 checkpoint's weights in H3R's layout with a
    2K-logit head; a head with one map per keypoint gets zero class-0
    logits, so H3R's raw-logit decoder reads the trained maps."""
    from rr_mmpose.h3r import h3r_state_dict

    state = torch.load(checkpoint, map_location='cpu', weights_only=True)['state_dict']
    last = state['head.layers.3.weight']
    if last.shape[0] == num_keypoints:
        state = dict(state)
        state['head.layers.3.weight'] = torch.cat([torch.zeros_like(last), last])
    return h3r_state_dict(state, 'mobilenetv2')


def pipeline_parity(checkpoint: str | Path, data_root: str | Path, num: int = 300) -> dict:
    """A trained 300W MobileNetV2 128x128 model (e.g. the demo's), written
    out in H3R's released layout, converted back and run on the first
    ``num`` generated test faces (tight landmark boxes) by

    - ``H3R``: H3R's pipeline as rebuilt (:class:`H3RDetector`) on the H3R-layout
      weights;
    - ``affine``: ``MMPoseInferencer`` with the 300W config (TopdownAffine);
    - ``option``: ``MMPoseInferencer`` with :func:`h3r_inference_config`.

    Both MMPose runs decode raw logits as H3R does, so only the
    preprocessing differs. Images are decoded once with OpenCV and handed
    to all three. Returns per-pipeline NME (%) and landmark distances to
    H3R's pipeline (image pixels).
    """
    import json
    import tempfile

    import cv2
    from mmengine.config import Config
    from mmpose.apis import MMPoseInferencer
    from mmpose.datasets import Face300WDataset
    from mmpose.datasets.datasets.utils import parse_pose_metainfo
    from PIL import Image

    from rr_mmpose import config_path
    from rr_mmpose.apis import FixedFaceBoxes, use_face_boxes
    from rr_mmpose.h3r import merge_h3r_config

    data_root = Path(data_root)
    config = config_path(PIPELINE_PARITY_CONFIG)
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

    def inferencer(cfg: Config, weights: str | Path) -> MMPoseInferencer:
        return MMPoseInferencer(
            pose2d=cfg, pose2d_weights=str(weights), device='cpu', det_model='whole_image'
        )

    with tempfile.TemporaryDirectory() as tmp:
        model_dir = write_h3r_model_dir(Path(tmp) / 'mobilenet_128x128_p2', state, h3r_yaml)
        converted = convert_h3r_checkpoint(model_dir, Path(tmp) / 'converted.pth')
        affine_cfg = Config.fromfile(config)
        affine_cfg.model.head.decode_scores = 'logits'
        runs = {
            'affine': inferencer(affine_cfg, converted),
            'option': inferencer(h3r_inference_config(config), converted),
        }
        doc = json.loads((data_root / 'annotations/face_landmarks_300w_test.json').read_text())
        points = {name: [] for name in ('H3R', 'gt', *runs)}
        for image_info, ann in list(zip(doc['images'], doc['annotations'], strict=True))[:num]:
            image = cv2.imread(str(data_root / 'images' / image_info['file_name']))
            x, y, w, h = ann['bbox']
            box = [x, y, x + w, y + h]
            points['H3R'].append(reference(Image.fromarray(image[..., ::-1]), np.array([box]))[0])
            points['gt'].append(np.array(ann['keypoints'], np.float64).reshape(-1, 3)[:, :2])
            for name, pose in runs.items():
                use_face_boxes(pose, FixedFaceBoxes([box]))
                (face,) = next(pose(image))['predictions'][0]
                points[name].append(np.asarray(face['keypoints']))
    points = {name: np.array(p) for name, p in points.items()}
    ocular = outer_eye_distance(points['gt'])

    rows = []
    for name in ('H3R', 'affine', 'option'):
        delta = points[name] - points['H3R']
        dist = np.linalg.norm(delta, axis=-1)
        rows.append(
            dict(
                pipeline=name,
                nme=outer_eye_nme(points[name], points['gt']),
                mean_px=float(dist.mean()),
                p95_px=float(np.percentile(dist, 95)),
                max_px=float(dist.max()),
                mean_pct_ocular=float(100 * (dist.mean(1) / ocular).mean()),
                mean_dx=float(delta[..., 0].mean()),
                mean_dy=float(delta[..., 1].mean()),
            )
        )
    return dict(faces=len(ocular), mean_ocular_px=float(ocular.mean()), rows=rows)
