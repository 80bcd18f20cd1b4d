"""Generated face images with exactly known 68-point landmarks.

The real face datasets cannot be downloaded everywhere, and a new user
should see the whole pipeline work first. Each image is a face built from
:mod:`face_template`, posed in 3D (yaw, pitch, roll), projected and drawn
anti-aliased at sub-pixel precision, so the landmarks are continuous and
exact. The layout is MMPose's 300W one, so ``Face300WDataset``, its flip
pairs and the NME normalisation (outer eye corners 36 and 45) apply as is.
"""

from __future__ import annotations

import argparse
import inspect
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import ArrayLike

from .coco_face_json import (
    coco_document,
    face_annotation,
    image_record,
    tight_box,
    write_json_atomic,
)
from .face_template import (
    INNER_LIPS,
    JAW,
    LEFT_BROW,
    LEFT_EYE,
    NOSE_BASE,
    NOSE_BRIDGE,
    OUTER_LIPS,
    RIGHT_BROW,
    RIGHT_EYE,
    Expression,
    face_points_3d,
)
from .hard_cases import HardCases, apply_hard_cases

SHIFT = 4  # OpenCV draws at 1/16 pixel precision with shift=4.
SPLITS = ('train', 'test')


def rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """Rotation matrix for angles in radians: roll (image plane) after
    pitch (x axis) after yaw (y axis)."""
    cy, sy, cp, sp, cr, sr = (f(a) for a in (yaw, pitch, roll) for f in (np.cos, np.sin))
    r_yaw = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    r_pitch = np.array([[1, 0, 0], [0, cp, -sp], [0, sp, cp]])
    r_roll = np.array([[cr, -sr, 0], [sr, cr, 0], [0, 0, 1]])
    return r_roll @ r_pitch @ r_yaw


def _forehead_3d() -> np.ndarray:
    """The top of the head outline, from the left temple over to the right."""
    theta = np.linspace(0.08, np.pi - 0.08, 15)
    return np.stack([np.cos(theta) * 0.98, -0.2 - 0.95 * np.sin(theta), 0.2 * np.sin(theta)], 1)


def _poly(points: np.ndarray) -> np.ndarray:
    return np.round(points * (1 << SHIFT)).astype(np.int32).reshape(-1, 1, 2)


def _colour(rng: np.random.Generator, low: int = 0, high: int = 256) -> tuple[int, int, int]:
    return tuple(int(v) for v in rng.integers(low, high, 3))


def _texture(rng: np.random.Generator, size: int, base: ArrayLike, amplitude: float) -> np.ndarray:
    """Smooth random texture: a coarse noise grid upsampled bicubically."""
    grid = rng.normal(0.0, amplitude, (int(rng.integers(3, 9)),) * 2 + (3,)).astype(np.float32)
    noise = cv2.resize(grid, (size, size), interpolation=cv2.INTER_CUBIC)
    return np.clip(np.asarray(base, np.float32) + noise, 0, 255)


def render_face(rng: np.random.Generator, size: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Draw one face.

    Returns:
        tuple:
        - image (np.ndarray): (size, size, 3) uint8 BGR
        - keypoints (np.ndarray): (68, 2) landmarks in pixels (pixel centres
          at integer coordinates, as MMPose and OpenCV use)
    """
    image, keypoints, _ = render_face_with_occlusion(rng, size)
    return image, keypoints


def render_face_with_occlusion(
    rng: np.random.Generator, size: int = 256
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`render_face` (the same draws, the same face), and which
    landmarks its occluding object covers: (K,) bool."""
    expr = Expression(
        jaw_width=rng.uniform(-1, 1),
        face_length=rng.uniform(-1, 1),
        eye_open=rng.uniform(0.0, 1.0),
        brow_raise=rng.uniform(-1, 1),
        mouth_open=max(0.0, rng.uniform(-0.6, 1.0)),
        smile=rng.uniform(-1, 1),
        mouth_width=rng.uniform(-1, 1),
        nose_length=rng.uniform(-1, 1),
    )
    rot = rotation(*np.radians([rng.uniform(-35, 35), rng.uniform(-15, 15), rng.uniform(-30, 30)]))
    scale = size * rng.uniform(0.2, 0.3)
    centre = size / 2 + rng.uniform(-0.08, 0.08, 2) * size

    def project(points3d: np.ndarray) -> np.ndarray:
        return (points3d @ rot.T)[:, :2] * scale + centre

    keypoints = project(face_points_3d(expr))
    head = np.concatenate([keypoints[JAW], project(_forehead_3d())])
    facing = rot[2, 2]  # cos of the angle between the face normal and the view

    image = _texture(rng, size, _colour(rng), rng.uniform(10, 60))
    image = np.ascontiguousarray(image.astype(np.uint8))
    for _ in range(int(rng.integers(0, 6))):  # background clutter
        p = rng.uniform(0, size, (2, 2))
        cv2.line(
            image,
            tuple(map(int, p[0])),
            tuple(map(int, p[1])),
            _colour(rng),
            int(rng.integers(1, 6)),
            cv2.LINE_AA,
        )

    skin = np.array(_colour(rng, 60, 230), np.float64)
    neck = keypoints[[4, 12]] + [[0, 0], [0, 0]]
    neck_poly = np.concatenate([neck, neck[::-1] + rot[:2, 1] * scale * 1.6])
    cv2.fillPoly(image, [_poly(neck_poly)], tuple(skin * 0.7), cv2.LINE_AA, SHIFT)
    if rng.random() < 0.5:  # hair behind the head
        hair = project(_forehead_3d() * [1.12, 1.08, 1.0] + [0, -0.05, 0])
        cv2.fillPoly(
            image,
            [_poly(np.concatenate([hair, keypoints[[16, 0]]]))],
            _colour(rng, 0, 120),
            cv2.LINE_AA,
            SHIFT,
        )

    # The face: skin texture, shaded by yaw, clipped to the head outline.
    mask = np.zeros((size, size), np.uint8)
    cv2.fillPoly(mask, [_poly(head)], 255, cv2.LINE_AA, SHIFT)
    shade = np.linspace(-1, 1, size, dtype=np.float32)[None, :, None] * np.float32(
        rot[0, 2] * 40 * rng.uniform(0.5, 1.5)
    )
    face = _texture(rng, size, skin, 12) + shade
    alpha = (mask.astype(np.float32) / 255)[..., None]
    image = (image * (1 - alpha) + np.clip(face, 0, 255) * alpha).astype(np.uint8)

    line = max(1, int(round(scale * 0.05)))
    brow_colour = _colour(rng, 0, 90)
    for brow in (RIGHT_BROW, LEFT_BROW):
        cv2.polylines(
            image, [_poly(keypoints[brow])], False, brow_colour, line + 1, cv2.LINE_AA, SHIFT
        )

    iris_colour = _colour(rng, 20, 160)
    gaze = rng.uniform(-0.3, 0.3, 2)
    for eye in (RIGHT_EYE, LEFT_EYE):
        # Draw sclera and iris on a copy of the eye's box, clipped by the lids.
        x0, y0 = np.maximum(np.floor(keypoints[eye].min(0)).astype(int) - 2, 0)
        x1, y1 = np.ceil(keypoints[eye].max(0)).astype(int) + 3
        roi = image[y0:y1, x0:x1]
        local = keypoints[eye] - [x0, y0]
        lids = np.zeros(roi.shape[:2], np.uint8)
        cv2.fillPoly(lids, [_poly(local)], 255, cv2.LINE_AA, SHIFT)
        layer = roi.copy()
        cv2.fillPoly(layer, [_poly(local)], (235, 235, 240), cv2.LINE_AA, SHIFT)
        corner_dist = np.linalg.norm(local[0] - local[3])
        iris = local.mean(0) + gaze * corner_dist * 0.5
        cv2.circle(
            layer,
            tuple(np.round(iris * 16).astype(int)),
            int(corner_dist * 0.3 * 16),
            iris_colour,
            -1,
            cv2.LINE_AA,
            SHIFT,
        )
        a = (lids.astype(np.float32) / 255)[..., None]
        roi[:] = (roi * (1 - a) + layer * a).astype(np.uint8)
        cv2.polylines(
            image,
            [_poly(keypoints[eye])],
            True,
            (40, 30, 30),
            max(1, line // 2),
            cv2.LINE_AA,
            SHIFT,
        )

    nose_colour = tuple(skin * 0.55)
    cv2.polylines(
        image, [_poly(keypoints[NOSE_BRIDGE])], False, tuple(skin * 0.8), line, cv2.LINE_AA, SHIFT
    )
    cv2.polylines(
        image, [_poly(keypoints[NOSE_BASE])], False, nose_colour, line, cv2.LINE_AA, SHIFT
    )

    lip_colour = tuple(np.clip(skin * [0.6, 0.6, 1.1], 0, 255))
    cv2.fillPoly(image, [_poly(keypoints[OUTER_LIPS])], lip_colour, cv2.LINE_AA, SHIFT)
    cv2.fillPoly(image, [_poly(keypoints[INNER_LIPS])], (30, 20, 40), cv2.LINE_AA, SHIFT)
    cv2.polylines(
        image, [_poly(keypoints[INNER_LIPS])], True, tuple(skin * 0.4), 1, cv2.LINE_AA, SHIFT
    )

    if facing < 0.95:  # the far cheek edge darkens as the head turns
        cv2.polylines(
            image, [_poly(keypoints[JAW])], False, tuple(skin * 0.6), 1, cv2.LINE_AA, SHIFT
        )

    occluded = np.zeros(len(keypoints), bool)
    if rng.random() < 0.3:  # partial occlusion by an object
        box = np.sort(rng.uniform(keypoints.min(0), keypoints.max(0), (2, 2)), axis=0)
        box[1] = box[0] + (box[1] - box[0]) * 0.6
        occluder = _texture(rng, size, _colour(rng), 30).astype(np.uint8)
        x0, y0 = np.floor(box[0]).astype(int)
        x1, y1 = np.ceil(box[1]).astype(int)
        image[y0:y1, x0:x1] = occluder[y0:y1, x0:x1]
        cells = np.round(keypoints)  # the pixel each landmark lies in
        occluded = ((cells >= [x0, y0]) & (cells < [x1, y1])).all(axis=1)

    if rng.random() < 0.5:
        image = cv2.GaussianBlur(image, (0, 0), rng.uniform(0.3, 1.2))
    noise = rng.standard_normal(image.shape, dtype=np.float32) * rng.uniform(0, 8)
    image = np.clip(image + noise, 0, 255).astype(np.uint8)
    return image, keypoints, occluded


def generate_dataset(
    out_dir: str | Path,
    num_train: int = 1500,
    num_test: int = 300,
    image_size: int = 256,
    seed: int = 0,
    hard_cases: bool | HardCases = False,
) -> dict:
    """Write a 300W-layout dataset: ``images/{train,test}/*.jpg`` and
    ``annotations/face_landmarks_300w_{train,test}.json`` (P1 boxes).

    Each split draws from its own seeded stream, so the test split is the
    same whatever ``num_train`` is. With ``hard_cases`` (True: the defaults
    of :class:`HardCases`) faces also get occluders, blur and low light,
    drawn from a stream of their own (the faces stay the same), and every
    landmark under an occluder, the faces' own occluding objects included,
    is flagged 1 (labelled, not visible: COCO's convention) instead of 2;
    MMPose's loaders keep the flags in each sample's ``raw_ann_info``.
    Returns the annotation file paths.
    """
    out_dir = Path(out_dir)
    cases = HardCases() if hard_cases is True else hard_cases or None
    paths = {}
    for split_index, (split, count) in enumerate(zip(SPLITS, (num_train, num_test))):
        rng = np.random.default_rng([seed, split_index])
        hard_rng = np.random.default_rng([seed, split_index, 1])
        image_dir = out_dir / 'images' / split
        image_dir.mkdir(parents=True, exist_ok=True)
        images, annotations = [], []
        for i in range(count):
            image, keypoints, occluded = render_face_with_occlusion(rng, image_size)
            visibility = None
            if cases is not None:
                image, hidden = apply_hard_cases(hard_rng, image, keypoints, cases)
                visibility = np.where(occluded | hidden, 1, 2)
            file_name = f'{split}/{i:05d}.jpg'
            if not cv2.imwrite(
                str(out_dir / 'images' / file_name), image, [cv2.IMWRITE_JPEG_QUALITY, 95]
            ):
                raise OSError(f'could not write {out_dir / "images" / file_name}')
            images.append(image_record(i, file_name, image_size, image_size))
            box = tight_box(keypoints)
            annotations.append(face_annotation(i, i, keypoints, box, visibility))
        doc = coco_document(
            images,
            annotations,
            generator='rr_mmpose generated faces',
            seed=seed,
            hard_cases=hard_case_settings(cases),
        )
        paths[split] = write_json_atomic(doc, annotation_path(out_dir, split))
    return paths


def annotation_path(out_dir: str | Path, split: str) -> Path:
    """Where :func:`generate_dataset` writes ``split``'s annotation."""
    return Path(out_dir) / 'annotations' / f'face_landmarks_300w_{split}.json'


def generated_faces(out_dir: str | Path, **options: Any) -> Path:
    """``out_dir``, holding generated faces: written by
    :func:`generate_dataset` (``options`` are its arguments) unless a
    previous call finished there. The test annotation is written last, so
    its presence says the dataset is whole.

    Raises:
        ValueError: ``out_dir`` holds faces generated with other options
            (split sizes, image size, seed, hard cases); nothing is changed
    """
    out_dir = Path(out_dir)
    asked = inspect.signature(generate_dataset).bind(out_dir, **options)
    asked.apply_defaults()
    asked = {k: v for k, v in asked.arguments.items() if k != 'out_dir'}
    asked['hard_cases'] = hard_case_settings(asked['hard_cases'])
    if not annotation_path(out_dir, SPLITS[-1]).is_file():
        print(f'generating faces in {out_dir} (rr_mmpose.datasets.generate_dataset)', flush=True)
        generate_dataset(out_dir, **options)
        return out_dir
    made = generated_with(out_dir)
    differ = {k: (made[k], v) for k, v in asked.items() if made[k] != v}
    if differ:
        told = ', '.join(f'{k} {old!r} (asked: {new!r})' for k, (old, new) in differ.items())
        raise ValueError(
            f'{out_dir} holds generated faces made with other options: {told}; '
            'remove the folder or choose another'
        )
    return out_dir


def generated_with(out_dir: str | Path) -> dict:
    """The :func:`generate_dataset` options a folder of generated faces was
    made with, read from its annotation files."""
    docs = {split: json.loads(annotation_path(out_dir, split).read_text()) for split in SPLITS}
    info = docs[SPLITS[-1]]['info']
    images = [i for doc in docs.values() for i in doc['images']]
    return dict(
        num_train=len(docs['train']['images']),
        num_test=len(docs['test']['images']),
        image_size=images[0]['width'] if images else None,
        seed=info['seed'],
        hard_cases=hard_case_settings(info['hard_cases']),
    )


def hard_case_settings(hard_cases: bool | HardCases | dict | None) -> dict | bool:
    """``hard_cases`` as an annotation file records it: False, or the
    settings of each case (True: the defaults; a folder made before the
    settings were recorded says True)."""
    if not hard_cases:
        return False
    if hard_cases is True:
        hard_cases = HardCases()
    return asdict(hard_cases) if isinstance(hard_cases, HardCases) else dict(hard_cases)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('out_dir', nargs='?', default='data/generated_faces')
    parser.add_argument('--num-train', type=int, default=1500)
    parser.add_argument('--num-test', type=int, default=300)
    parser.add_argument('--image-size', type=int, default=256)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--hard-cases', action='store_true', help='occluders (flagged), blur and low light'
    )
    args = parser.parse_args(argv)
    # Written once and then reused: a folder made with other options (the
    # demo's, say, under the default folder) is refused, not overwritten.
    try:
        out_dir = generated_faces(
            args.out_dir,
            num_train=args.num_train,
            num_test=args.num_test,
            image_size=args.image_size,
            seed=args.seed,
            hard_cases=args.hard_cases,
        )
    except ValueError as error:
        raise SystemExit(str(error)) from None
    for split in SPLITS:
        print(f'{split}: {annotation_path(out_dir, split)}')


if __name__ == '__main__':
    main()
