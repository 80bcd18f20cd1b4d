"""Parity of converted H3R models with H3R's own code, for the tests and
``tools/benchmarks/h3r_released_models.py``.

A released ``config.yaml`` gets random weights in H3R's own network
(:mod:`rr_mmpose.h3r.reference`), is written out as a model directory,
converted without ``--config``, and both sides run on the same input:

- network: logits and decoded landmarks on the same input tensor;
- end to end: ``MMPoseInferencer`` with :func:`h3r_inference_config` on a
  BGR image and a box, against H3R's ``FacialLandmarkDetector`` pipeline on
  the same image as RGB PIL (crop, resize, flip test, mapping back).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from .checkpoint import checkpoint_config, convert_h3r_checkpoint
from .h3r_config import load_h3r_config
from .inference_config import h3r_inference_config
from .reference import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    H3RDetector,
    H3RNetwork,
    calibrate_batch_norm,
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
    BN statistics calibrated on ``images`` (default: generated faces at the
    model's input size) and logits of standard deviation ``LOGIT_STD`` on
    them. Calibrate on the inputs a check uses: a random network's
    activations change much with the image content and scale."""
    cfg = load_h3r_config(config_yaml)
    torch.manual_seed(seed)
    net = H3RNetwork(cfg)
    if images is None:
        images = face_images(size=cfg['INPUT']['SIZE'][0], seed=seed)
    calibrate_batch_norm(net, images, seed)
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
