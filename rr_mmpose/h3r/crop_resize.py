"""H3R's crop-and-resize, for exact parity with its released models."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from mmcv.transforms import BaseTransform
from mmpose.registry import TRANSFORMS
from PIL import Image


def h3r_square(bbox: np.ndarray, scale: float) -> tuple[float, float, float]:
    """H3R's square around a box (x1, y1, x2, y2): ``(left, top, side)``.

    The side is ``max(x2 - x1 + 1, y2 - y1 + 1) * scale`` (H3R counts the
    corners as inclusive pixels) and the square is centred on
    ``((x1 + x2 + 1) / 2, (y1 + y2 + 1) / 2)``: half a pixel right of and
    below the centre MMPose's ``GetBBoxCenterScale`` takes.
    """
    x1, y1, x2, y2 = (float(v) for v in bbox)
    side = max(x2 - x1 + 1, y2 - y1 + 1) * scale
    return (x1 + x2 + 1 - side) / 2, (y1 + y2 + 1 - side) / 2, side


@TRANSFORMS.register_module()
class H3RCropResize(BaseTransform):
    """Crop and resize a face exactly as H3R's released inference code does,
    in place of ``GetBBoxCenterScale`` + ``TopdownAffine``.

    The square of :func:`h3r_square` is cut with PIL (its corners rounded to
    whole pixels; pixels outside the image are black) and resized to
    ``input_size`` with PIL's bilinear filter, which averages when it
    shrinks. Predictions go back to the image linearly,
    ``x = x_input * side / w + left``: H3R's mapping, which ignores both the
    rounding of the crop and the half-pixel offset of the resize. Its models
    were fitted through that mapping, so parity needs it;
    ``TopdownAffine`` is the better-defined choice for models trained here.

    The image may be BGR (MMPose) or RGB: every channel is resampled alike.

    Required Keys:

        - img (np.ndarray): uint8 image in shape (h_img, w_img, 3) or (h_img, w_img)
        - bbox (np.ndarray): the box in shape (1, 4), (x1, y1, x2, y2)

    Modified Keys:

        - img: the crop in shape (h, w, 3) or (h, w)
        - bbox_center, bbox_scale: H3R's square, in shape (1, 2)

    Added Keys:

        - input_size, input_center, input_scale: what MMPose maps predictions
          back with (``TopdownPoseEstimator``), set to H3R's mapping
        - transformed_keypoints: if ``keypoints`` are given, in shape (1, K, 2)

    Args:
        input_size (tuple[int, int]): network input size (w, h)
        scale (float): the square's side over the box's longer side.
            Defaults to 1.25 (H3R's ``INPUT.SCALE``)
    """

    def __init__(self, input_size: Sequence[int], scale: float = 1.25) -> None:
        super().__init__()
        if len(input_size) != 2 or min(input_size) < 1:
            raise ValueError(f'input_size must be (w, h) with w, h >= 1, got {input_size}')
        if not scale > 0:
            raise ValueError(f'scale must be positive, got {scale}')
        self.input_size = (int(input_size[0]), int(input_size[1]))
        self.scale = float(scale)

    def transform(self, results: dict) -> dict:
        if 'bbox' not in results:
            raise KeyError('H3RCropResize needs results["bbox"] (1, 4) as (x1, y1, x2, y2)')
        bbox = np.asarray(results['bbox'], dtype=np.float64)
        if bbox.shape != (1, 4):
            raise ValueError(f'H3RCropResize takes one box in shape (1, 4), got {bbox.shape}')
        if not np.isfinite(bbox).all() or (bbox[0, 2:] < bbox[0, :2]).any():
            raise ValueError(f'bbox must be finite with x2 >= x1 and y2 >= y1, got {bbox[0]}')
        img = results['img']
        if not isinstance(img, np.ndarray) or img.dtype != np.uint8:
            raise TypeError(f'H3RCropResize needs a uint8 image array, got {type(img)}')
        if not (img.ndim == 2 or (img.ndim == 3 and img.shape[2] == 3)):
            raise ValueError(f'image must be (h, w) or (h, w, 3), got {img.shape}')

        left, top, side = h3r_square(bbox[0], self.scale)
        w, h = self.input_size
        crop = Image.fromarray(img).crop((left, top, left + side, top + side))
        results['img'] = np.array(crop.resize((w, h), Image.BILINEAR))  # writable copy

        centre = np.array([[left + side / 2, top + side / 2]], dtype=np.float32)
        square = np.array([[side, side]], dtype=np.float32)
        results['bbox_center'] = centre
        results['bbox_scale'] = square
        # TopdownPoseEstimator maps back with
        # x = x_input / w * input_scale + input_center - input_scale / 2,
        # which is H3R's x_input * side / w + left.
        results['input_size'] = (w, h)
        results['input_center'] = centre[0]
        results['input_scale'] = square[0]
        if results.get('keypoints') is not None:
            keypoints = np.array(results['keypoints'], dtype=np.float32, copy=True)
            keypoints[..., 0] = (keypoints[..., 0] - left) * w / side
            keypoints[..., 1] = (keypoints[..., 1] - top) * h / side
            results['transformed_keypoints'] = keypoints
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(input_size={self.input_size}, scale={self.scale})'
