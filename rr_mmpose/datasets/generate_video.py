"""Generated face videos with exactly known 68-point landmarks in every frame.

A clip is ONE face drawn by :func:`~rr_mmpose.datasets.generate_faces.render_face`
at the clip size, moved by a smooth affine motion: every frame is that still
image warped with ``cv2.warpAffine`` (bilinear, reflected border) and its
landmarks are mapped by exactly the same 2 x 3 matrix, so the per-frame
ground truth is exact. (The pixels are resampled bilinearly: a dot drawn at
a landmark and warped lands on the mapped landmark to within a few
hundredths of a pixel, the resampling's own error.) The motion is slow and
mostly sub-pixel per frame, the regime where a quantizing decoder shows
steps (a "staircase") and a smoothing filter shows lag
(:mod:`rr_mmpose.evaluation.video_metrics`).

The motion of frame ``t`` of ``T``, with ``u = (t - (T - 1) / 2) / (T - 1)``
running from -1/2 to 1/2 over the clip (0 for a one-frame clip)::

    angle_t = radians(rotation) * u                 # rotation about the pivot
    scale_t = 1 + zoom * u                          # scale about the pivot
    shift_t = drift * (t - (T - 1) / 2) * (cos a, sin a)
              + wobble * (sin(2 pi t / wobble_period + phi_x),
                          sin(2 pi t / wobble_period + phi_y))
    p_t = scale_t * R(angle_t) @ (p - pivot) + pivot + shift_t

``p`` is a point of the still face (pixel centres at integer coordinates,
as OpenCV and MMPose use), ``pivot`` the landmarks' centroid, ``R`` the
rotation matrix ``[[cos, -sin], [sin, cos]]`` (clockwise on screen, where
y points down), ``a`` the drift direction and ``phi_x``, ``phi_y`` the
wobble phases, drawn from ``rng`` after the face. The drift and rotation
ramps are centred on the middle frame, so the face strays least from where
it was drawn.

Write clips with ``python -m rr_mmpose.datasets.generate_video OUT_DIR``:
``clip_000.mp4`` (OpenCV's ``mp4v``) and ``clip_000.json`` beside it.
"""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import ArrayLike

from ..utils.atomic_write import atomic_output
from .coco_face_json import tight_box
from .generate_faces import render_face

FOURCC = 'mp4v'


@dataclass(frozen=True)
class Clip:
    """A generated face video and its exact ground truth.

    Attributes:
        frames (np.ndarray): (T, H, W, 3) uint8 BGR frames
        keypoints (np.ndarray): (T, 68, 2) float64 landmarks of each frame,
            in pixels, 300W layout
        boxes (np.ndarray): (T, 4) float64 tight landmark box of each frame,
            (x0, y0, x1, y1)
        matrices (np.ndarray): (T, 2, 3) float64 affine map from the still
            face to each frame: ``keypoints[t] = face_keypoints @ M[:, :2].T + M[:, 2]``
        face (np.ndarray): (H, W, 3) uint8 the still face every frame is warped from
        face_keypoints (np.ndarray): (68, 2) float64 its landmarks
        motion (dict): the motion's parameters, those drawn included
            (``direction`` in radians, ``phases`` in radians, ``pivot``)
    """

    frames: np.ndarray
    keypoints: np.ndarray
    boxes: np.ndarray
    matrices: np.ndarray
    face: np.ndarray
    face_keypoints: np.ndarray
    motion: dict = field(default_factory=dict)

    @property
    def num_frames(self) -> int:
        return len(self.frames)

    @property
    def size(self) -> int:
        return self.frames.shape[1]


def motion_matrices(
    num_frames: int,
    pivot: ArrayLike,
    drift: float,
    direction: float,
    wobble: float,
    wobble_period: float,
    phases: ArrayLike,
    rotation: float,
    zoom: float,
) -> np.ndarray:
    """The clip's affine maps, as the module doc defines them.

    Args:
        num_frames (int): T
        pivot: (2,) the point rotation and scale keep fixed, in pixels
        drift (float): translation speed in pixels per frame
        direction (float): drift direction in radians (0: +x, pi/2: +y)
        wobble (float): amplitude of the sinusoidal translation, in pixels
        wobble_period (float): its period in frames
        phases: (2,) its phases in radians, x and y
        rotation (float): rotation over the whole clip, in degrees
        zoom (float): relative scale change over the whole clip

    Returns:
        np.ndarray: (T, 2, 3) float64 matrices, for ``cv2.warpAffine``
    """
    t = np.arange(num_frames, dtype=np.float64)
    centred = t - (num_frames - 1) / 2
    u = centred / max(num_frames - 1, 1)
    angle = np.radians(rotation) * u
    scale = 1 + zoom * u
    shift = drift * centred[:, None] * [np.cos(direction), np.sin(direction)]
    shift = shift + wobble * np.sin(2 * np.pi * t[:, None] / wobble_period + np.asarray(phases))
    cos, sin = np.cos(angle) * scale, np.sin(angle) * scale
    linear = np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], 1)  # (T, 2, 2)
    pivot = np.asarray(pivot, dtype=np.float64)
    offset = pivot + shift - linear @ pivot
    return np.concatenate([linear, offset[:, :, None]], axis=2)


def apply_affine(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Map (K, 2) points by a (2, 3) affine matrix, or (T, 2, 3) matrices to (T, K, 2)."""
    return points @ np.swapaxes(matrix[..., :2], -1, -2) + matrix[..., None, :, 2]


def render_clip(
    rng: np.random.Generator,
    num_frames: int = 120,
    size: int = 256,
    *,
    drift: float = 0.1,
    wobble: float = 1.5,
    wobble_period: float = 40.0,
    rotation: float = 3.0,
    zoom: float = 0.03,
) -> Clip:
    """Draw one face and move it smoothly for ``num_frames`` frames.

    The defaults move a landmark by about a quarter of a pixel per frame on
    average, never by more than half a pixel: a slow drift (a tenth of a
    pixel per frame, in a random direction), a sinusoidal wobble (an
    amplitude of one and a half pixels, a period of 40 frames, random
    phases), three degrees of rotation and a scale change of three percent
    over the clip. The motion of frame ``t`` is defined in the module doc.
    In 300 clips of 120 frames at 128 x 128 (seeds 0 to 299) every landmark
    stayed at least ten pixels inside the frame; a motion that carries one
    out raises.

    Args:
        rng (np.random.Generator): Draws the face (first, as
            :func:`render_face` does), then the drift direction and the
            wobble phases
        num_frames (int): T. Defaults to 120
        size (int): Frame width and height in pixels. Defaults to 256
        drift (float): Translation speed in pixels per frame
        wobble (float): Amplitude of the sinusoidal translation, in pixels
        wobble_period (float): Its period in frames
        rotation (float): Rotation over the whole clip, in degrees
        zoom (float): Relative scale change over the whole clip

    Returns:
        Clip: frames (T, size, size, 3) uint8 BGR, keypoints (T, 68, 2),
        boxes (T, 4), matrices (T, 2, 3) and the still face

    Raises:
        ValueError: for a bad argument, or a motion that carries a landmark
            out of the frame
    """
    if int(num_frames) != num_frames or num_frames < 1:
        raise ValueError(f'num_frames must be a positive integer, got {num_frames}')
    if int(size) != size or size < 16:
        raise ValueError(f'size must be an integer of at least 16 pixels, got {size}')
    values = dict(drift=drift, wobble=wobble, rotation=rotation, zoom=zoom)
    for name, value in values.items():
        if not np.isfinite(value):
            raise ValueError(f'{name} must be finite, got {value}')
    if not (np.isfinite(wobble_period) and wobble_period > 0):
        raise ValueError(f'wobble_period must be a positive number of frames, got {wobble_period}')
    if abs(zoom) >= 2:
        raise ValueError(f'zoom must be above -2 and below 2 (a positive scale), got {zoom}')
    num_frames, size = int(num_frames), int(size)

    face, face_keypoints = render_face(rng, size)
    face_keypoints = face_keypoints.astype(np.float64)
    direction = float(rng.uniform(0, 2 * np.pi))
    phases = rng.uniform(0, 2 * np.pi, 2)
    pivot = face_keypoints.mean(axis=0)
    motion = dict(
        drift=float(drift),
        direction=direction,
        wobble=float(wobble),
        wobble_period=float(wobble_period),
        phases=phases.tolist(),
        rotation=float(rotation),
        zoom=float(zoom),
        pivot=pivot.tolist(),
    )
    matrices = motion_matrices(num_frames, **motion)
    keypoints = apply_affine(matrices, face_keypoints)
    if keypoints.min() < 0 or keypoints.max() > size - 1:
        raise ValueError(
            f'the motion carries landmarks out of the {size} x {size} frame '
            f'(from {keypoints.min():.1f} to {keypoints.max():.1f}): use fewer frames, '
            'a larger size or a slower motion'
        )
    frames = np.stack(
        [
            cv2.warpAffine(
                face, m, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
            )
            for m in matrices
        ]
    )
    boxes = np.stack([tight_box(k) for k in keypoints])
    return Clip(frames, keypoints, boxes, matrices, face, face_keypoints, motion)


def _check_written(path: Path, num_frames: int, size: tuple[int, int]) -> None:
    """Raise OSError unless OpenCV reads ``num_frames`` frames of ``size`` back."""
    capture = cv2.VideoCapture(str(path))
    try:
        found = (
            int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) if capture.isOpened() else 0,
            int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
            int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)),
        )
    finally:
        capture.release()
    if found != (num_frames, *size):
        raise OSError(
            f'OpenCV wrote a video it reads back as {found[0]} frames of {found[1]} x '
            f'{found[2]}, not {num_frames} of {size[0]} x {size[1]}: this OpenCV build '
            f'cannot encode {FOURCC!r} mp4'
        )


def write_clip(clip: Clip, path: str | os.PathLike, fps: float = 30) -> tuple[Path, Path]:
    """Write ``clip`` as an mp4 video (OpenCV, fourcc ``mp4v``) and its
    ground truth beside it as JSON (same name, ``.json``).

    Both files are written under temporary names and renamed into place
    only once the video has been read back whole (the JSON, then the
    video), so a failure while writing or checking leaves neither, and an
    earlier pair survives it. The JSON holds ``fps``,
    ``num_frames``, ``size``, ``video`` (the video's file name), the
    ``motion`` parameters and, per frame, ``keypoints`` (T, 68, 2),
    ``boxes`` (T, 4) and ``matrices`` (T, 2, 3), as nested lists of floats.
    mp4v is lossy: the frames read back are close to, not equal to,
    ``clip.frames``; the landmarks are those of ``clip``.

    Returns:
        tuple[Path, Path]: the video's path and the JSON's

    Raises:
        ValueError: for a path not ending in ``.mp4``, a bad ``fps`` or bad frames
        OSError: when the folder or the files cannot be written, or OpenCV
            cannot write mp4 video
    """
    path = Path(path)
    if path.suffix.lower() != '.mp4':
        raise ValueError(f'the video path must end in .mp4, got {path}')
    if not (np.isfinite(fps) and fps > 0):
        raise ValueError(f'fps must be positive, got {fps}')
    frames = np.asarray(clip.frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8 or not len(frames):
        raise ValueError(
            f'clip.frames must be (T, H, W, 3) uint8 with T > 0, got {frames.shape} {frames.dtype}'
        )
    height, width = frames.shape[1:3]
    json_path = path.with_suffix('.json')
    document = dict(
        video=path.name,
        fps=float(fps),
        num_frames=len(frames),
        size=[int(width), int(height)],
        layout='300W, 68 points; pixel centres at integer coordinates',
        motion=clip.motion,
        keypoints=np.asarray(clip.keypoints, dtype=np.float64).tolist(),
        boxes=np.asarray(clip.boxes, dtype=np.float64).tolist(),
        matrices=np.asarray(clip.matrices, dtype=np.float64).tolist(),
    )
    missing = [p for p in (path.parent, *path.parent.parents) if not p.exists()]
    try:
        with atomic_output(path, suffix='.mp4') as tmp_video:
            writer = cv2.VideoWriter(
                str(tmp_video), cv2.VideoWriter_fourcc(*FOURCC), float(fps), (width, height)
            )
            if not writer.isOpened():
                raise OSError(f'OpenCV cannot open a {FOURCC!r} video writer for {path}')
            try:
                for frame in frames:
                    writer.write(np.ascontiguousarray(frame))
            finally:
                writer.release()
            _check_written(tmp_video, len(frames), (width, height))
            with atomic_output(json_path, suffix='.json') as tmp_json:
                tmp_json.write_text(json.dumps(document))
    except BaseException as error:
        for folder in missing:  # the folders this call created, deepest first
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        if type(error) is not OSError and isinstance(error, OSError):
            raise OSError(f'cannot write the clip to {path}: {error}') from error
        raise
    return path, json_path


def read_ground_truth(path: str | os.PathLike) -> dict:
    """The JSON :func:`write_clip` wrote for the video ``path`` (or the JSON
    itself), with ``keypoints``, ``boxes`` and ``matrices`` as float64 arrays."""
    document = json.loads(Path(path).with_suffix('.json').read_text())
    for key in ('keypoints', 'boxes', 'matrices'):
        document[key] = np.asarray(document[key], dtype=np.float64)
    return document


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('out_dir')
    parser.add_argument('--num-clips', type=int, default=4)
    parser.add_argument('--frames', type=int, default=120)
    parser.add_argument('--size', type=int, default=256)
    parser.add_argument('--fps', type=float, default=30)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    if args.num_clips < 1:
        parser.error(f'--num-clips must be positive, got {args.num_clips}')
    for i in range(args.num_clips):
        clip = render_clip(np.random.default_rng([args.seed, i]), args.frames, args.size)
        video, truth = write_clip(clip, Path(args.out_dir) / f'clip_{i:03d}.mp4', args.fps)
        print(f'{video}  {truth}')


if __name__ == '__main__':
    main()
