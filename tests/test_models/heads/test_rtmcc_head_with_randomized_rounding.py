"""RandomizedRoundingSimCC through MMPose's own RTMCCHead: its optimum
decodes exactly, with and without MMPose's flip test (stock SimCC labels
do not), and MMPose's pipeline feeds the head's loss."""

import numpy as np
import pytest
import torch
from mmpose.datasets.transforms import GenerateTarget, PackPoseInputs
from mmpose.registry import KEYPOINT_CODECS

from ...simcc_helpers import (
    SIZE,
    build_head,
    draw_points,
    ideal_logits,
    plain_and_flipped,
    predict_through_head,
)


@pytest.mark.parametrize('split', [0.5, 1.0, 2.0])
@pytest.mark.parametrize('flip_test', [True, False])
def test_optimum_through_rtmcc_head_is_exact(rng, split, flip_test):
    """Ideal logits of 200 sub-bin points through MMPose's RTMCCHead.predict,
    with MMPose's flip test (flip_vectors, logits averaged) and without."""
    keypoints, flip_indices = draw_points(rng)
    logits = plain_and_flipped(keypoints, flip_indices, split, ideal_logits)
    codec = dict(type='RandomizedRoundingSimCC', input_size=(SIZE, SIZE), simcc_split_ratio=split)
    head = build_head(split, 100, codec)
    decoded, scores = predict_through_head(head, logits, flip_indices, flip_test)
    error = np.abs(decoded - keypoints)
    print(
        f'\nRandomizedRoundingSimCC s={split} flip_test={flip_test}: max error {error.max():.2e} px'
    )
    assert error.max() < 1e-3
    assert np.all((scores >= 0) & (scores <= 1 + 1e-6))
    np.testing.assert_allclose(scores, 1, atol=1e-4)


def stock_logits(keypoints: np.ndarray, split: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Stock SimCCLabel's optimum: its own Gaussian labels (centred on the
    rounded bin ``round(x * s)``) as logits."""
    codec = KEYPOINT_CODECS.build(
        dict(type='SimCCLabel', input_size=(SIZE, SIZE), sigma=6.0, simcc_split_ratio=split)
    )
    encoded = codec.encode(keypoints, np.ones(keypoints.shape[:2]))
    return tuple(
        torch.from_numpy(encoded[key]).float() for key in ('keypoint_x_labels', 'keypoint_y_labels')
    )


def smooth_stock_logits(keypoints: np.ndarray, split: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Stock SimCC's convention ``u = x * s`` without the target rounding:
    Gaussians centred on the exact ``x * s`` (what a network that sees
    continuous positions tends to), so the plain and the flipped pass do not
    tie on the same bins."""
    bins = np.arange(SIZE * split)
    return tuple(
        torch.from_numpy(np.exp(-((bins - keypoints[..., axis, None] * split) ** 2) / 72)).float()
        for axis in (0, 1)
    )


@pytest.mark.parametrize('split', [0.5, 1.0, 2.0])
def test_stock_simcc_flip_test_is_biased(rng, split):
    """Stock SimCCLabel (u = x * s) through the same RTMCCHead flip test: its
    flipped branch is off by 1 - 1/s px, so the average shifts x by about
    (1 - 1/s) / 2 px, which the argmax quantizes; RandomizedRoundingSimCC,
    on its own optimum for the same points, stays exact."""
    keypoints, flip_indices = draw_points(rng)
    simcc = dict(type='SimCCLabel', input_size=(SIZE, SIZE), sigma=6.0, simcc_split_ratio=split)
    head = build_head(split, 100, simcc)
    error = {}
    for name, make_logits in (('labels', stock_logits), ('smooth', smooth_stock_logits)):
        logits = plain_and_flipped(keypoints, flip_indices, split, make_logits)
        for flip_test in (False, True):
            decoded, _ = predict_through_head(head, logits, flip_indices, flip_test)
            error[name, flip_test] = (decoded - keypoints).reshape(-1, 2).mean(0)
    ours = build_head(
        split,
        100,
        dict(type='RandomizedRoundingSimCC', input_size=(SIZE, SIZE), simcc_split_ratio=split),
    )
    ideal = plain_and_flipped(keypoints, flip_indices, split, ideal_logits)
    decoded, _ = predict_through_head(ours, ideal, flip_indices, flip_test=True)
    rr_error = np.abs(decoded - keypoints).max()
    predicted = (1 - 1 / split) / 2
    print(f'\nstock SimCC s={split}: mean (dx, dy) in px, predicted flip dx {predicted:+.3f}')
    for (name, flip_test), (dx, dy) in error.items():
        print(f'  {name} logits, flip_test={flip_test}: ({dx:+.3f}, {dy:+.3f})')
    print(f'  RandomizedRoundingSimCC, flip_test=True: max error {rr_error:.2e} px')
    assert rr_error < 1e-3
    for (_, flip_test), (dx, dy) in error.items():
        assert abs(dy) < 0.1  # y is not flipped
        if not flip_test:
            assert abs(dx) < 0.1
    # Smooth logits: the predicted shift, quantized by the argmax.
    assert abs(error['smooth', True][0] - predicted) < 0.1
    if split == 0.5:
        # Its own labels: plain and flipped peaks one bin apart tie exactly,
        # and np.argmax takes the lower bin: up to -1 px on average.
        assert error['labels', True][0] < -0.3


# -------------------------------------------------------------------- pipeline


def test_mmpose_pipeline_feeds_rtmcc_head_loss(rng):
    """GenerateTarget and PackPoseInputs put the labels where RTMCCHead.loss
    reads them; the loss backpropagates; inactive keypoints carry weight 0."""
    codec = dict(type='RandomizedRoundingSimCC', input_size=(SIZE, SIZE), simcc_split_ratio=2.0)
    samples = []
    for _ in range(2):
        visible = np.ones((1, 17))
        visible[0, 3] = 0
        results = dict(
            img=np.zeros((SIZE, SIZE, 3), np.uint8),
            keypoints=rng.uniform(1, SIZE - 2, (1, 17, 2)),
            keypoints_visible=visible,
        )
        samples.append(PackPoseInputs()(GenerateTarget(encoder=codec)(results))['data_samples'])
    labels = samples[0].gt_instance_labels
    assert labels.keypoint_x_labels.shape == (1, 17, 256)
    assert labels.keypoint_y_labels.shape == (1, 17, 256)
    assert labels.keypoint_weights.shape == (1, 17) and labels.keypoint_weights[0, 3] == 0
    torch.manual_seed(0)
    head = build_head(2.0, 17, codec)
    losses = head.loss((torch.randn(2, 8, 4, 4),), samples)
    assert torch.isfinite(losses['loss_kpt'])
    losses['loss_kpt'].backward()
    assert head.cls_x.weight.grad.abs().sum() > 0
