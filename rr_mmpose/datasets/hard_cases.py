"""Hard cases for the generated faces: occluders over some landmarks, blur
and low light, each occluded landmark recorded.

Off unless asked for (``generate_dataset(..., hard_cases=True)``), and
drawn from a generator of their own, so the plain faces (and every figure
measured on them) stay as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

OCCLUDERS = ('shape', 'texture', 'hand')


@dataclass(frozen=True)
class HardCases:
    """How often each hard case is applied to a face.

    Args:
        occluder_prob: Chance of one occluder (a random shape, a textured
            patch or a hand-like blob) over a random landmark
        second_occluder_prob: Chance of a second one, given a first
        blur_prob: Chance of a Gaussian or motion blur
        low_light_prob: Chance of a dark, noisy, low-contrast image
    """

    occluder_prob: float = 0.6
    second_occluder_prob: float = 0.3
    blur_prob: float = 0.3
    low_light_prob: float = 0.3


def _hand(rng: np.random.Generator, centre: np.ndarray, size: float, mask: np.ndarray) -> None:
    """A palm and four or five fingers, filled into ``mask``."""
    angle = rng.uniform(0, 2 * np.pi)
    direction = np.array([np.cos(angle), np.sin(angle)])
    side = np.array([-direction[1], direction[0]])
    palm = (int(size * 0.45), int(size * 0.38))
    cv2.ellipse(mask, tuple(np.round(centre).astype(int)), palm, np.degrees(angle), 0, 360, 255, -1)
    fingers = int(rng.integers(4, 6))
    for i in range(fingers):
        offset = (i - (fingers - 1) / 2) * size * 0.2
        base = centre + direction * size * 0.3 + side * offset
        tip = base + direction * size * rng.uniform(0.5, 0.8)
        width = max(2, int(size * 0.12))
        cv2.line(mask, tuple(np.round(base).astype(int)), tuple(np.round(tip).astype(int)), 255,
                 width, cv2.LINE_AA)  # fmt: skip


def _occluder_mask(
    rng: np.random.Generator, kind: str, shape: tuple[int, ...], centre: np.ndarray, size: float
) -> np.ndarray:
    mask = np.zeros(shape[:2], np.uint8)
    if kind == 'hand':
        _hand(rng, centre, size, mask)
    elif kind == 'shape':
        corners = int(rng.integers(3, 8))
        angles = np.sort(rng.uniform(0, 2 * np.pi, corners))
        radii = size * rng.uniform(0.3, 0.6, corners)
        points = centre + np.stack([np.cos(angles), np.sin(angles)], 1) * radii[:, None]
        cv2.fillPoly(mask, [np.round(points).astype(np.int32)], 255, cv2.LINE_AA)
    else:  # a textured rectangle, as a scarf or a sign
        half = size * rng.uniform(0.25, 0.5, 2)
        x0, y0 = np.round(centre - half).astype(int)
        x1, y1 = np.round(centre + half).astype(int)
        cv2.rectangle(mask, (x0, y0), (x1, y1), 255, -1)
    return mask


def occlude(
    rng: np.random.Generator, image: np.ndarray, keypoints: np.ndarray, face_size: float
) -> tuple[np.ndarray, np.ndarray]:
    """Draw one occluder over a random landmark.

    Returns:
        tuple:
        - image (np.ndarray): the image with the occluder, (H, W, 3) uint8
        - occluded (np.ndarray): (K,) bool, landmarks under the occluder
    """
    kind = OCCLUDERS[int(rng.integers(len(OCCLUDERS)))]
    centre = keypoints[int(rng.integers(len(keypoints)))] + rng.normal(0, face_size * 0.05, 2)
    mask = _occluder_mask(rng, kind, image.shape, centre, face_size * rng.uniform(0.3, 0.55))
    if kind == 'texture':
        fill = rng.integers(0, 256, (8, 8, 3)).astype(np.uint8)
        fill = cv2.resize(fill, image.shape[1::-1], interpolation=cv2.INTER_NEAREST)
    else:
        colour = rng.uniform(60, 230, 3) if kind == 'hand' else rng.uniform(0, 255, 3)
        fill = np.empty_like(image)
        fill[:] = colour.astype(np.uint8)
    alpha = (mask.astype(np.float32) / 255)[..., None]
    image = (image * (1 - alpha) + fill * alpha).astype(np.uint8)
    h, w = mask.shape
    cells = np.clip(np.round(keypoints).astype(int), 0, [w - 1, h - 1])
    occluded = mask[cells[:, 1], cells[:, 0]] >= 128
    return image, occluded


def blur(rng: np.random.Generator, image: np.ndarray) -> np.ndarray:
    """A strong Gaussian blur or a motion blur along a random direction."""
    if rng.random() < 0.5:
        return cv2.GaussianBlur(image, (0, 0), rng.uniform(1.5, 3.0))
    length = int(rng.integers(5, 12))
    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2] = 1.0 / length
    rotation = cv2.getRotationMatrix2D((length / 2 - 0.5, length / 2 - 0.5), rng.uniform(0, 180), 1)
    kernel = cv2.warpAffine(kernel, rotation, (length, length))
    return cv2.filter2D(image, -1, kernel / max(kernel.sum(), 1e-6))


def low_light(rng: np.random.Generator, image: np.ndarray) -> np.ndarray:
    """Darker, lower contrast, with sensor-like noise."""
    gain = rng.uniform(0.15, 0.4)
    gamma = rng.uniform(1.2, 2.0)
    dark = 255.0 * (image.astype(np.float32) / 255.0) ** gamma * gain
    noise = rng.normal(0, rng.uniform(3, 10), image.shape)
    return np.clip(dark + noise, 0, 255).astype(np.uint8)


def apply_hard_cases(
    rng: np.random.Generator, image: np.ndarray, keypoints: np.ndarray, cases: HardCases
) -> tuple[np.ndarray, np.ndarray]:
    """Occluders, blur and low light on a generated face.

    Returns:
        tuple:
        - image (np.ndarray): (H, W, 3) uint8
        - occluded (np.ndarray): (K,) bool, landmarks under an occluder
    """
    occluded = np.zeros(len(keypoints), bool)
    face_size = float(np.ptp(keypoints, axis=0).max())
    if rng.random() < cases.occluder_prob:
        image, hidden = occlude(rng, image, keypoints, face_size)
        occluded |= hidden
        if rng.random() < cases.second_occluder_prob:
            image, hidden = occlude(rng, image, keypoints, face_size)
            occluded |= hidden
    if rng.random() < cases.blur_prob:
        image = blur(rng, image)
    if rng.random() < cases.low_light_prob:
        image = low_light(rng, image)
    return image, occluded
