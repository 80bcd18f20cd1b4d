"""A parametric 3D face with the 68 iBUG / 300W landmarks.

Coordinates are in half face-widths: x to the image right, y down, z
towards the camera. Point 0 (the subject's right jaw end) is on the image
left, as in 300W. The template is mirror-symmetric by construction, with
the pairs of MMPose's 300W metainfo.
"""

from dataclasses import dataclass

import numpy as np

NUM_KEYPOINTS = 68
# Index of each point's mirror image, the 300W `swap` pairs.
FLIP_INDICES = np.array(
    list(range(16, -1, -1))
    + list(range(26, 16, -1))
    + [27, 28, 29, 30]
    + [35, 34, 33, 32, 31]
    + [45, 44, 43, 42, 47, 46, 39, 38, 37, 36, 41, 40]
    + [54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55]
    + [64, 63, 62, 61, 60, 67, 66, 65]
)
JAW = np.arange(0, 17)
RIGHT_BROW, LEFT_BROW = np.arange(17, 22), np.arange(22, 27)
NOSE_BRIDGE, NOSE_BASE = np.arange(27, 31), np.arange(31, 36)
RIGHT_EYE, LEFT_EYE = np.arange(36, 42), np.arange(42, 48)
OUTER_LIPS, INNER_LIPS = np.arange(48, 60), np.arange(60, 68)


@dataclass
class Expression:
    """Shape and expression parameters, all roughly in [-1, 1]."""

    jaw_width: float = 0.0
    face_length: float = 0.0
    eye_open: float = 0.5
    brow_raise: float = 0.0
    mouth_open: float = 0.0
    smile: float = 0.0
    mouth_width: float = 0.0
    nose_length: float = 0.0


def face_points_3d(expr: Expression) -> np.ndarray:
    """The 68 landmarks (68, 3) of a face with the given expression."""
    pts = np.zeros((NUM_KEYPOINTS, 3))
    length = 1.0 + 0.12 * expr.face_length
    width = 1.0 + 0.08 * expr.jaw_width

    # Jaw: from the right temple, under the chin, to the left temple.
    theta = np.linspace(np.pi, 0.0, 17)
    narrowing = 1.0 - 0.18 * np.sin(theta) ** 4
    pts[JAW, 0] = np.cos(theta) * width * narrowing
    pts[JAW, 1] = -0.2 + 1.25 * length * np.sin(theta) ** 1.2
    pts[JAW, 2] = 0.2 * np.sin(theta)

    # Brows: an arch over each eye, raised by `brow_raise`.
    t = np.linspace(0.0, 1.0, 5)
    brow_x = -0.82 + 0.64 * t
    brow_y = -0.52 - 0.12 * np.sin(np.pi * (0.25 + 0.75 * t)) - 0.1 * expr.brow_raise
    pts[RIGHT_BROW, 0], pts[RIGHT_BROW, 1] = brow_x, brow_y
    pts[RIGHT_BROW, 2] = 0.45 + 0.25 * t

    # Nose: the bridge down the middle, the base as a shallow arc.
    nose = 1.0 + 0.15 * expr.nose_length
    pts[NOSE_BRIDGE, 1] = np.linspace(-0.33, 0.12 * nose, 4)
    pts[NOSE_BRIDGE, 2] = np.linspace(0.75, 1.05, 4)
    base_x = np.array([-0.24, -0.12, 0.0])
    pts[NOSE_BASE[:3], 0] = base_x
    pts[NOSE_BASE[:3], 1] = 0.22 * nose + np.array([-0.02, 0.03, 0.05])
    pts[NOSE_BASE[:3], 2] = [0.7, 0.82, 0.88]

    # Right eye (image left): outer corner 36, upper lid 37-38, inner 39,
    # lower lid 40-41.
    open_ = 0.04 + 0.09 * np.clip(expr.eye_open, 0.0, 1.0)
    eye = np.array(
        [
            [-0.64, -0.30, 0.0],
            [-0.52, -0.30 - open_, 0.0],
            [-0.34, -0.30 - open_ * 0.95, 0.0],
            [-0.22, -0.28, 0.0],
            [-0.35, -0.28 + open_ * 0.7, 0.0],
            [-0.52, -0.29 + open_ * 0.75, 0.0],
        ]
    )
    pts[RIGHT_EYE] = eye
    pts[RIGHT_EYE, 2] = 0.55

    # Mouth: corners 48/54 move out and up with `smile`; the lower lip and
    # the inner lips part with `mouth_open`.
    corner_x = -0.38 * (1.0 + 0.12 * expr.mouth_width + 0.08 * max(expr.smile, 0))
    corner_y = 0.62 - 0.06 * expr.smile
    gap = 0.16 * np.clip(expr.mouth_open, 0.0, 1.0)
    upper_y = 0.52
    pts[48] = [corner_x, corner_y, 0.55]
    pts[49] = [corner_x * 0.62, upper_y - 0.02, 0.68]
    pts[50] = [corner_x * 0.25, upper_y - 0.04, 0.74]
    pts[51] = [0.0, upper_y - 0.02, 0.76]
    pts[59] = [corner_x * 0.62, 0.72 + gap, 0.64]
    pts[58] = [corner_x * 0.25, 0.76 + gap, 0.7]
    pts[57] = [0.0, 0.77 + gap, 0.72]
    pts[60] = [corner_x * 0.88, corner_y, 0.56]
    pts[61] = [corner_x * 0.4, 0.60 - 0.01, 0.7]
    pts[62] = [0.0, 0.60, 0.72]
    pts[67] = [corner_x * 0.4, 0.62 + gap, 0.7]
    pts[66] = [0.0, 0.62 + gap, 0.72]

    # Mirror the left-hand points into their pairs (x -> -x).
    for i, j in enumerate(FLIP_INDICES):
        if pts[i].any() and not pts[j].any():
            pts[j] = pts[i] * [-1.0, 1.0, 1.0]
    return pts
