"""Randomized rounding heatmap codec (H3R)."""

from __future__ import annotations

import numpy as np
import torch
from mmpose.registry import KEYPOINT_CODECS
from torch import Tensor

from .randomized_rounding_base import RandomizedRoundingCodec
from .topk_decoding import topk_soft_argmax
from .utils import as_size, randomized_round


@KEYPOINT_CODECS.register_module()
class RandomizedRoundingHeatmap(RandomizedRoundingCodec):
    """Represent keypoints as heatmaps with randomized rounding, as in
    `Heatmap Regression via Randomized Rounding`_ by Yu and Tao (TPAMI 2021).

    A keypoint at input coordinate ``x`` lies at ``x / stride`` on the
    heatmap (:class:`MSRAHeatmap`'s convention). Each axis is rounded up
    with probability equal to its fractional part: one unbiased binary
    activation per keypoint, drawn afresh on every call, whose expectation
    is the bilinear weight of the four neighbouring cells.

    Decoding weighs the ``topk`` highest cells by the softmax of their
    scores. The maps handed to :meth:`decode` must be log-probabilities (up
    to a per-map constant); then decoding the loss's optimum returns the
    exact sub-pixel coordinate. :class:`RandomizedRoundingHead` converts its
    logits accordingly. Why: ``docs/method.md``; what bad input gets:
    ``docs/method.md#bad-input``.

    Usage: in a heatmap config (the head flips coordinates, not maps)::

        custom_imports = dict(imports=['rr_mmpose'], allow_failed_imports=False)
        codec = dict(type='RandomizedRoundingHeatmap', input_size=(192, 256),
                     heatmap_size=(48, 64))
        # model.head: dict(type='RandomizedRoundingHead', in_channels=32,
        #     out_channels=17, decoder=codec,
        #     loss=dict(type='SpatialSoftmaxCELoss', use_target_weight=True))

    Note:

        - instance number: N (encode takes N = 1, like MSRAHeatmap)
        - keypoint number: K; image size: [w, h]; heatmap size: [W, H]

    Encoded:

        - heatmaps (np.ndarray): binary targets (``'random'``) or bilinear
          weights (``'expected'``) in shape (K, H, W), float32
        - keypoint_weights (np.ndarray): weights in shape (N, K), float32

    Args:
        input_size (tuple): Image size in [w, h]
        heatmap_size (tuple): Heatmap size in [W, H]; each must divide the
            matching input size (an integer stride per axis)
        topk (int): Number of cells the decoder weighs. Defaults to 9, as in
            every released H3R model
        target_mode, seed, score_temperature, score_bias: as in
            :class:`RandomizedRoundingCodec`

    .. _`Heatmap Regression via Randomized Rounding`:
        https://arxiv.org/abs/2009.00225
    """

    label_mapping_table = dict(keypoint_weights='keypoint_weights')
    field_mapping_table = dict(heatmaps='heatmaps')

    def __init__(
        self,
        input_size: tuple[int, int],
        heatmap_size: tuple[int, int],
        topk: int = 9,
        target_mode: str = 'random',
        seed: int | None = None,
        score_temperature: float = 1.0,
        score_bias: float = 0.0,
    ) -> None:
        super().__init__(input_size, target_mode, seed, score_temperature, score_bias)
        self.heatmap_size = as_size(heatmap_size, 'heatmap_size')
        for axis, (n_in, n_hm) in enumerate(zip(self.input_size, self.heatmap_size)):
            if n_in % n_hm:
                raise ValueError(
                    f'input_size {self.input_size} is not a whole multiple of '
                    f'heatmap_size {self.heatmap_size} on axis {"xy"[axis]}: '
                    'randomized rounding needs an integer stride'
                )
        num_cells = self.heatmap_size[0] * self.heatmap_size[1]
        if not 1 <= int(topk) <= num_cells:
            raise ValueError(f'topk must be in [1, W*H = {num_cells}], got {topk}')
        self.topk = int(topk)
        self.scale_factor = (np.array(self.input_size) / self.heatmap_size).astype(np.float32)
        self._last_cell = np.array(self.heatmap_size) - 1

    def encode(self, keypoints: np.ndarray, keypoints_visible: np.ndarray | None = None) -> dict:
        """Encode keypoints into a randomized rounding target.

        Args:
            keypoints (np.ndarray): Keypoint coordinates in input space, in
                shape (1, K, 2)
            keypoints_visible (np.ndarray, optional): Keypoint visibilities
                (used as weights) in shape (1, K). Defaults to all ones

        Returns:
            dict:
            - heatmaps (np.ndarray): targets in shape (K, H, W), float32
            - keypoint_weights (np.ndarray): weights in shape (1, K), float32
        """
        keypoints, keypoints_visible = self.keypoint_arrays(keypoints, keypoints_visible, 1)
        num_keypoints = keypoints.shape[1]

        active, weights, points = self.active_points(
            keypoints[0] / self.scale_factor, keypoints_visible[0], self._last_cell
        )

        W, H = self.heatmap_size

        heatmaps = np.zeros((num_keypoints, H, W), dtype=np.float32)
        if self.target_mode == 'random':
            cells = randomized_round(points, self._uniform(points.shape))
            k = np.flatnonzero(active)
            heatmaps[k, cells[k, 1], cells[k, 0]] = 1.0
        else:
            _scatter_bilinear(heatmaps, points, active)
        return dict(heatmaps=heatmaps, keypoint_weights=weights[None])

    def decode(self, encoded: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Decode keypoints from log-probability maps of one instance.

        Args:
            encoded (np.ndarray): Log-probability maps in shape (K, H, W)

        Returns:
            tuple:
            - keypoints (np.ndarray): coordinates in input space, (1, K, 2)
            - scores (np.ndarray): probability mass of the top-k cells
              (calibrated, if set), (1, K)
        """
        encoded = np.asarray(encoded)
        if encoded.ndim != 3:
            raise ValueError(f'decode expects maps of shape (K, H, W), got {encoded.shape}')
        keypoints, scores = self.decode_tensor(torch.from_numpy(encoded[None].astype(np.float32)))
        return keypoints.numpy(), scores.numpy()

    def batch_decode(
        self, batch_heatmaps: Tensor, calibrated: bool = True
    ) -> tuple[np.ndarray, np.ndarray]:
        """Decode a batch of log-probability maps on their own device.

        Args:
            batch_heatmaps (Tensor): Log-probability maps in shape (B, K, H, W)
            calibrated (bool): Calibrate the scores (:meth:`calibrate`);
                ``False`` gives the raw masses, for a flip test to average

        Returns:
            tuple:
            - keypoints (np.ndarray): coordinates in input space, (B, 1, K, 2)
            - scores (np.ndarray): probability mass of the top-k cells
              (calibrated, if set), (B, 1, K)
        """
        if batch_heatmaps.ndim != 4:
            shape = tuple(batch_heatmaps.shape)
            raise ValueError(f'batch_decode expects maps of shape (B, K, H, W), got {shape}')
        keypoints, scores = self.decode_tensor(batch_heatmaps.detach(), calibrated)
        return keypoints.cpu().numpy()[:, None], scores.cpu().numpy()[:, None]

    def decode_tensor(self, maps: Tensor, calibrated: bool = True) -> tuple[Tensor, Tensor]:
        """Torch-only decode, differentiable and exportable to ONNX:
        (B, K, H, W) log-probability maps to input-space coordinates
        (B, K, 2) and scores (B, K), calibrated unless ``calibrated=False``."""
        W, H = self.heatmap_size
        # Traced for ONNX export, sizes are tensors: check given tensors only.
        if not torch.jit.is_tracing() and tuple(maps.shape[-2:]) != (H, W):
            raise ValueError(
                f'maps of size {tuple(maps.shape[-2:])} (H, W) do not match heatmap_size '
                f'{self.heatmap_size} (W, H)'
            )
        coords, mass = topk_soft_argmax(maps, self.topk, (H, W))
        scores = self.calibrate(mass) if calibrated else mass
        return coords * coords.new_tensor(self.scale_factor), scores


def _scatter_bilinear(heatmaps: np.ndarray, points: np.ndarray, active: np.ndarray) -> None:
    """Add the bilinear weights of each active point to its four cells."""
    _, H, W = heatmaps.shape
    low = np.floor(points).astype(np.int64)
    frac = points - low
    for dx in (0, 1):
        for dy in (0, 1):
            w = (frac[:, 0] if dx else 1 - frac[:, 0]) * (frac[:, 1] if dy else 1 - frac[:, 1])
            x, y = low[:, 0] + dx, low[:, 1] + dy
            # A zero-weight neighbour may sit one past the border (x == W-1).
            keep = active & (w > 0) & (x < W) & (y < H)
            k = np.flatnonzero(keep)
            heatmaps[k, y[k], x[k]] += w[k]
