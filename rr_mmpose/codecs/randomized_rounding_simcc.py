"""Randomized rounding for SimCC's 1-D coordinate classification (RTMPose)."""

from __future__ import annotations

import math

import numpy as np
import torch
from mmpose.registry import KEYPOINT_CODECS
from torch import Tensor

from .randomized_rounding_base import RandomizedRoundingCodec
from .utils import as_real_array, randomized_round


@KEYPOINT_CODECS.register_module()
class RandomizedRoundingSimCC(RandomizedRoundingCodec):
    """Represent keypoints as randomized rounding one-hot SimCC vectors, for
    MMPose's :class:`RTMCCHead` unchanged (RTMPose).

    Each axis's bin position ``u = (x + 0.5) * s - 0.5`` (``s =
    simcc_split_ratio``) is rounded up with probability ``frac(u)``, so the
    target bin is unbiased at any split ratio. Decoding takes the mean bin
    of ``softmax(beta * logits)`` within ``window`` bins of the argmax; with
    :class:`KLDiscretLoss` (``label_softmax=False``, the same ``beta``) it
    returns the loss's optimum exactly, with MMPose's flip test too. The
    score is the product of the x and y windows' masses. Why this bin
    convention and loss setting: ``docs/method.md``; what bad input gets:
    ``docs/method.md#bad-input``.

    Usage: in an RTMPose config::

        custom_imports = dict(imports=['rr_mmpose'], allow_failed_imports=False)
        codec = dict(type='RandomizedRoundingSimCC', input_size=(192, 256),
                     simcc_split_ratio=2.0, beta=10.0)
        # model.head: loss=dict(type='KLDiscretLoss', use_target_weight=True,
        #                       beta=codec['beta'], label_softmax=False)

    Note:

        - instance number: N; keypoint number: K; image size: [w, h]
        - vector lengths: Wx = w * s, Wy = h * s

    Encoded:

        - keypoint_x_labels (np.ndarray): one-hot (``'random'``) or two-hot
          (``'expected'``) x labels in shape (N, K, Wx), float32
        - keypoint_y_labels (np.ndarray): likewise for y, (N, K, Wy), float32
        - keypoint_weights (np.ndarray): weights in shape (N, K), float32

    Args:
        input_size (tuple): Image size in [w, h]
        simcc_split_ratio (float): Bins per input pixel, ``s``; ``w * s`` and
            ``h * s`` must be whole. Defaults to 2.0
        beta (float): Temperature of the softmax over the logits; must equal
            the loss's ``beta``. Defaults to 10.0, as in RTMPose's configs
        window (int): Half-width, in bins, of the decoding window around the
            argmax, at least 1. Defaults to 2
        target_mode, seed, score_temperature, score_bias: as in
            :class:`RandomizedRoundingCodec`
    """

    label_mapping_table = dict(
        keypoint_x_labels='keypoint_x_labels',
        keypoint_y_labels='keypoint_y_labels',
        keypoint_weights='keypoint_weights',
    )

    def __init__(
        self,
        input_size: tuple[int, int],
        simcc_split_ratio: float = 2.0,
        beta: float = 10.0,
        window: int = 2,
        target_mode: str = 'random',
        seed: int | None = None,
        score_temperature: float = 1.0,
        score_bias: float = 0.0,
    ) -> None:
        super().__init__(input_size, target_mode, seed, score_temperature, score_bias)
        split = float(simcc_split_ratio)
        if not (math.isfinite(split) and split > 0):
            raise ValueError(f'simcc_split_ratio must be positive, got {simcc_split_ratio}')
        self.simcc_split_ratio = split
        self.simcc_size = tuple(_num_bins(n, split, axis) for n, axis in zip(self.input_size, 'wh'))
        beta = float(beta)
        if not (math.isfinite(beta) and beta > 0):
            raise ValueError(f'beta must be positive, got {beta}')
        self.beta = beta
        if int(window) != window or window < 1:
            raise ValueError(f'window must be an integer >= 1, got {window}')
        if 2 * int(window) + 1 > min(self.simcc_size):
            raise ValueError(
                f'window larger than the vector: 2 * {window} + 1 bins exceed the '
                f'{min(self.simcc_size)} bins of the shorter vector (Wx, Wy = {self.simcc_size})'
            )
        self.window = int(window)

    def encode(self, keypoints: np.ndarray, keypoints_visible: np.ndarray | None = None) -> dict:
        """Encode keypoints into randomized rounding SimCC labels.

        Args:
            keypoints (np.ndarray): Keypoint coordinates in input space, in
                shape (N, K, 2)
            keypoints_visible (np.ndarray, optional): Keypoint visibilities
                (used as weights) in shape (N, K). Defaults to all ones

        Returns:
            dict:
            - keypoint_x_labels (np.ndarray): x labels in shape (N, K, Wx),
              float32
            - keypoint_y_labels (np.ndarray): y labels in shape (N, K, Wy),
              float32
            - keypoint_weights (np.ndarray): weights in shape (N, K), float32
        """
        keypoints, keypoints_visible = self.keypoint_arrays(keypoints, keypoints_visible)
        shape = keypoints.shape[:2]

        s = self.simcc_split_ratio
        last_bin = np.array(self.simcc_size) - 1
        with np.errstate(invalid='ignore', over='ignore'):
            points = (keypoints + 0.5) * s - 0.5  # (N, K, 2) bin positions
        active, weights, points = self.active_points(points, keypoints_visible, last_bin)
        points = points.reshape(-1, 2)
        rows = np.flatnonzero(active)

        if self.target_mode == 'random':
            bins = randomized_round(points, self._uniform(points.shape))
        labels = []
        for axis, num_bins in enumerate(self.simcc_size):
            label = np.zeros((points.shape[0], num_bins), dtype=np.float32)
            if self.target_mode == 'random':
                label[rows, bins[rows, axis]] = 1.0
            else:
                low = np.floor(points[:, axis]).astype(np.int64)
                frac = points[:, axis] - low
                label[rows, low[rows]] = 1 - frac[rows]
                # A zero-weight neighbour may sit one past the end (u = W - 1).
                up = rows[frac[rows] > 0]
                label[up, low[up] + 1] = frac[up]
            labels.append(label.reshape(*shape, num_bins))
        return dict(
            keypoint_x_labels=labels[0], keypoint_y_labels=labels[1], keypoint_weights=weights
        )

    def decode(self, simcc_x: np.ndarray, simcc_y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Decode keypoints from SimCC logits.

        Args:
            simcc_x (np.ndarray): x logits in shape (K, Wx) (one instance, as
                :meth:`BaseHead.decode` passes it) or (N, K, Wx)
            simcc_y (np.ndarray): y logits in shape (K, Wy) or (N, K, Wy)

        Returns:
            tuple:
            - keypoints (np.ndarray): coordinates in input space, (N, K, 2)
              (N = 1 for 2-D input)
            - scores (np.ndarray): probability mass in the window box, (N, K)
        """
        simcc_x = as_real_array(simcc_x, 'simcc_x')
        simcc_y = as_real_array(simcc_y, 'simcc_y')
        if simcc_x.ndim != simcc_y.ndim or simcc_x.ndim not in (2, 3):
            raise ValueError(
                'decode expects simcc_x (K, Wx) and simcc_y (K, Wy), or (N, K, Wx) and '
                f'(N, K, Wy), got {simcc_x.shape} and {simcc_y.shape}'
            )
        if simcc_x.ndim == 2:
            simcc_x, simcc_y = simcc_x[None], simcc_y[None]
        keypoints, scores = self.decode_tensor(
            torch.from_numpy(simcc_x.astype(np.float32)),
            torch.from_numpy(simcc_y.astype(np.float32)),
        )
        return keypoints.numpy(), scores.numpy()

    def batch_decode(self, batch_x: Tensor, batch_y: Tensor) -> tuple[np.ndarray, np.ndarray]:
        """Decode a batch of SimCC logits on their own device, as
        :meth:`BaseHead.decode` calls it (one instance per sample).

        Args:
            batch_x (Tensor): x logits in shape (B, K, Wx)
            batch_y (Tensor): y logits in shape (B, K, Wy)

        Returns:
            tuple:
            - keypoints (np.ndarray): coordinates in input space, (B, 1, K, 2)
            - scores (np.ndarray): probability mass in the window box,
              (B, 1, K)
        """
        batch_x, batch_y = torch.as_tensor(batch_x), torch.as_tensor(batch_y)
        keypoints, scores = self.decode_tensor(batch_x.detach(), batch_y.detach())
        return keypoints.cpu().numpy()[:, None], scores.cpu().numpy()[:, None]

    def decode_tensor(self, simcc_x: Tensor, simcc_y: Tensor) -> tuple[Tensor, Tensor]:
        """Torch-only decode, differentiable and exportable to ONNX.

        Args:
            simcc_x (Tensor): x logits in shape (B, K, Wx)
            simcc_y (Tensor): y logits in shape (B, K, Wy)

        Returns:
            tuple:
            - keypoints (Tensor): coordinates in input space, (B, K, 2)
            - scores (Tensor): probability mass in the window box, (B, K)
        """
        for name, vectors in (('simcc_x', simcc_x), ('simcc_y', simcc_y)):
            if vectors.is_complex() or vectors.dtype == torch.bool:
                raise TypeError(f'{name} must hold real logits, got dtype {vectors.dtype}')
        Wx, Wy = self.simcc_size
        # Traced for ONNX export, sizes are tensors: the check runs on
        # tensors given at run time only.
        if not torch.jit.is_tracing():
            x_shape, y_shape = tuple(simcc_x.shape), tuple(simcc_y.shape)
            if (
                len(x_shape) != 3
                or len(y_shape) != 3
                or x_shape[-1] != Wx
                or y_shape[-1] != Wy
                or x_shape[:2] != y_shape[:2]
            ):
                raise ValueError(
                    f'simcc_x {x_shape} and simcc_y {y_shape} must have shapes '
                    f'(B, K, Wx = {Wx}) and (B, K, Wy = {Wy}) for input_size '
                    f'{self.input_size} and simcc_split_ratio {self.simcc_split_ratio}'
                )
        u_x, score_x = self._windowed_mean(simcc_x, Wx)
        u_y, score_y = self._windowed_mean(simcc_y, Wy)
        keypoints = (torch.stack((u_x, u_y), dim=-1) + 0.5) / self.simcc_split_ratio - 0.5
        return keypoints, self.calibrate(score_x * score_y)

    def _windowed_mean(self, logits: Tensor, num_bins: int) -> tuple[Tensor, Tensor]:
        """Mean bin and probability mass of ``softmax(beta * logits)`` within
        ``window`` bins of the argmax; (B, K, W) to (B, K) and (B, K)."""
        logits = logits.float()
        probs = torch.softmax(logits * self.beta, dim=-1)
        bins = torch.arange(num_bins, dtype=probs.dtype, device=probs.device)
        peak = logits.argmax(dim=-1, keepdim=True).to(probs.dtype)
        # A mask, not a gather: bins past either end simply do not exist.
        inside = ((bins - peak).abs() <= self.window).to(probs.dtype)
        weights = probs * inside
        mass = weights.sum(dim=-1)
        return (weights * bins).sum(dim=-1) / mass, mass


def _num_bins(size: int, split: float, axis: str) -> int:
    """``size * split`` as a whole number of bins, as RTMCCHead's ``int``."""
    bins = size * split
    if abs(bins - round(bins)) > 1e-6 or int(bins) != round(bins):
        raise ValueError(
            f'{axis} * simcc_split_ratio = {size} * {split} = {bins!r} must be a whole number '
            '(RTMCCHead makes int(w * s) bins, which must match the codec)'
        )
    return round(bins)
