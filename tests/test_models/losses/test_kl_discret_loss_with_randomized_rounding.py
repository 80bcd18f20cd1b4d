"""MMPose's KLDiscretLoss on RandomizedRoundingSimCC targets: cross-entropy
on one-hot draws, an optimum the decoder returns, and why
label_softmax=True would bias it."""

import numpy as np
import torch
from mmpose.registry import MODELS

from ...simcc_helpers import (
    BETA,
    LOSS,
    SIZE,
    bin_position,
    make_codec,
)


def test_kl_discret_loss_on_one_hot_is_cross_entropy(rng):
    """MMPose's KLDiscretLoss (label_softmax=False) on a one-hot target is
    -log softmax(beta * l)[t] / W per axis: 0 * log 0 counts as 0."""
    loss = MODELS.build(LOSS)
    codec = make_codec(simcc_split_ratio=2.0, seed=0)
    keypoints = rng.uniform(1, SIZE - 2, (2, 5, 2))
    encoded = codec.encode(keypoints)
    x = torch.randn(2, 5, 256, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    y = torch.randn(2, 5, 256, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    targets = [
        torch.from_numpy(encoded[k]).double() for k in ('keypoint_x_labels', 'keypoint_y_labels')
    ]
    value = loss((x, y), targets, torch.ones(2, 5, dtype=torch.float64))
    expected = 0.0
    for logits, target in zip((x, y), targets):
        log_p = torch.log_softmax(BETA * logits, dim=-1)
        expected += -(log_p * target).sum() / logits.shape[-1]
    torch.testing.assert_close(value, expected / 5, rtol=1e-12, atol=0)


def expected_draw_loss(loss, x, y, keypoints: np.ndarray, split: float):
    """The loss averaged over the four one-hot draws of each keypoint (x and
    y bins ``floor(u)`` or ``floor(u) + 1``), weighted by their probability,
    which KLDiscretLoss takes as target weights (it is linear in them)."""
    u = bin_position(keypoints, split)
    low = np.floor(u).astype(np.int64)
    frac = u - low
    total = 0.0
    for dx in (0, 1):
        for dy in (0, 1):
            prob = (frac[..., 0] if dx else 1 - frac[..., 0]) * (
                frac[..., 1] if dy else 1 - frac[..., 1]
            )
            targets = tuple(
                torch.nn.functional.one_hot(torch.from_numpy(bins), logits.shape[-1]).double()
                for bins, logits in ((low[..., 0] + dx, x), (low[..., 1] + dy, y))
            )
            total = total + loss((x, y), targets, torch.from_numpy(prob))
    return total


def test_loss_optimum_is_stationary(rng):
    """The expected KLDiscretLoss over the draws is stationary at
    l = log q / beta, and higher nearby."""
    loss = MODELS.build(LOSS)
    split = 2.0
    keypoints = rng.uniform(1, SIZE - 2, (1, 8, 2))
    q = make_codec(simcc_split_ratio=split, target_mode='expected').encode(keypoints)
    x, y = (
        torch.tensor(np.log(np.maximum(q[key].astype(np.float64), 1e-12)) / BETA).requires_grad_()
        for key in ('keypoint_x_labels', 'keypoint_y_labels')
    )
    at_optimum = expected_draw_loss(loss, x, y, keypoints, split)
    at_optimum.backward()
    grad = max(x.grad.abs().max().item(), y.grad.abs().max().item())
    print(
        f'\nexpected loss {at_optimum.item():.6f}, max |gradient| at l = log q / beta: {grad:.1e}'
    )
    assert grad < 1e-9
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for scale in (1e-3, 1e-2, 1e-1):
            dx = scale * torch.randn(x.shape, dtype=torch.float64, generator=generator)
            dy = scale * torch.randn(y.shape, dtype=torch.float64, generator=generator)
            assert expected_draw_loss(loss, x + dx, y + dy, keypoints, split) > at_optimum


def test_label_softmax_floor_biases_the_full_mean_not_the_window():
    """With label_softmax=True (RTMPose's configs) the optimum of MMPose's
    loss is E[softmax(label_beta * one-hot)]: q plus a uniform floor. Its
    full-vector mean is pulled towards the vector centre by more than a bin;
    the windowed decode keeps only 2 * window + 1 floor bins, centred on the
    argmax, and moves by (2 * window + 1) * (argmax - u) / (e^label_beta + 2 *
    window) bins, about 1e-4."""
    split, label_beta = 2.0, 10.0
    width = int(SIZE * split)
    loss = MODELS.build(dict(LOSS, label_softmax=True, label_beta=label_beta))
    keypoints = np.array([[[3.3, 64.2], [124.6, 20.7]]])
    u = bin_position(keypoints, split)
    q = make_codec(simcc_split_ratio=split, target_mode='expected').encode(keypoints)
    floor = 1 / (np.exp(label_beta) + width - 1)
    x, y = (
        torch.tensor(np.log(floor + (1 - width * floor) * q[key].astype(np.float64)) / BETA)
        for key in ('keypoint_x_labels', 'keypoint_y_labels')
    )
    x.requires_grad_(), y.requires_grad_()
    expected_draw_loss(loss, x, y, keypoints, split).backward()
    assert max(x.grad.abs().max(), y.grad.abs().max()) < 1e-9  # it is the optimum
    probs = torch.softmax(BETA * x.detach(), -1)[0].numpy()
    full_mean = probs @ np.arange(width)
    decoded, _ = make_codec(simcc_split_ratio=split).decode_tensor(x.detach(), y.detach())
    windowed = bin_position(decoded[0].numpy(), split)[:, 0]
    print(
        f'\nlabel_softmax=True optimum, x bins u = {u[0, :, 0]} of W = {width}: '
        f'full-vector mean {full_mean}, windowed decode {windowed}'
    )
    shift = full_mean - u[0, :, 0]
    assert np.all(np.sign(shift) == np.sign((width - 1) / 2 - u[0, :, 0]))
    assert np.all(np.abs(shift) > 1)
    assert np.abs(windowed - u[0, :, 0]).max() < 1e-3
