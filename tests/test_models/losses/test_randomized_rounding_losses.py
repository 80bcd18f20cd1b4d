"""Each loss's optimum, decoded, returns the true coordinate."""

import numpy as np
import pytest
import torch
from mmpose.registry import KEYPOINT_CODECS, MODELS

EPS = 1e-12
LOSSES = ['SpatialSoftmaxCELoss', 'PixelwiseTwoClassCELoss', 'TwoClassSpatialSoftmaxCELoss']


def expected_targets(keypoints: np.ndarray) -> torch.Tensor:
    codec = KEYPOINT_CODECS.build(
        dict(
            type='RandomizedRoundingHeatmap',
            input_size=(256, 256),
            heatmap_size=(64, 64),
            target_mode='expected',
        )
    )
    return torch.from_numpy(codec.encode(keypoints)['heatmaps'])[None].double()


def optimal_output(loss_type: str, q: torch.Tensor) -> torch.Tensor:
    """The logits minimising each loss for the expected target q."""
    q = q.clamp(EPS, 1 - EPS)
    if loss_type == 'SpatialSoftmaxCELoss':
        return q.log()
    if loss_type == 'TwoClassSpatialSoftmaxCELoss':
        # Spatial softmax of l1 = q: l1 = log q (+ any constant). l0 is free;
        # l0 = log(1 - q) also puts the per-pixel term at its optimum
        # (l1 - l0 = logit(q)), for the pixelwise_weight > 0 variant.
        return torch.cat([(1 - q).log(), q.log()], dim=1)
    # Two-class CE: any (l0, l1) with l1 - l0 = logit(q); take l0 = 0.
    return torch.cat([torch.zeros_like(q), q.log() - (1 - q).log()], dim=1)


def build_head(loss_type: str, decode_scores: str = 'log_prob', k: int = 68, **loss_args):
    return MODELS.build(
        dict(
            type='RandomizedRoundingHead',
            in_channels=8,
            out_channels=k,
            loss=dict(type=loss_type, **loss_args),
            decode_scores=decode_scores,
            decoder=dict(
                type='RandomizedRoundingHeatmap', input_size=(256, 256), heatmap_size=(64, 64)
            ),
        )
    )


@pytest.mark.parametrize('loss_type', LOSSES)
def test_loss_optimum_decodes_to_the_truth(loss_type, rng):
    keypoints = rng.uniform(0, 252, (1, 200, 2))  # random sub-pixel points
    q = expected_targets(keypoints)
    head = build_head(loss_type, k=200)
    output = optimal_output(loss_type, q).float()
    (pred,) = head.decode(head.score_maps(output))
    err_hm = np.abs(pred.keypoints - keypoints) / 4
    assert err_hm.max() < 1e-3


@pytest.mark.parametrize('loss_type', LOSSES)
def test_the_optimum_is_stationary(loss_type, rng):
    """Zero gradient at the claimed optimum: the expected loss over random
    targets is the loss at the expected target (the loss is linear in t)."""
    q = expected_targets(rng.uniform(0, 252, (1, 3, 2)))
    loss = MODELS.build(dict(type=loss_type))
    output = optimal_output(loss_type, q).requires_grad_(True)
    loss(output, q, torch.ones(1, 3, dtype=q.dtype)).backward()
    assert output.grad.abs().max() < 1e-6
    perturbed = (output.detach() + 0.05 * torch.randn_like(output)).requires_grad_(True)
    assert loss(perturbed, q, torch.ones(1, 3, dtype=q.dtype)) > loss(output.detach(), q)


def test_h3r_literal_decoder_is_biased_for_the_two_class_loss(rng):
    """Softmax of raw keypoint logits weighs cells by q / (1 - q), not q."""
    keypoints = rng.uniform(0, 252, (1, 200, 2))
    q = expected_targets(keypoints)
    head = build_head('PixelwiseTwoClassCELoss', decode_scores='logits', k=200)
    (pred,) = head.decode(head.score_maps(optimal_output('PixelwiseTwoClassCELoss', q).float()))
    err_hm = np.abs(pred.keypoints - keypoints) / 4
    assert err_hm.mean() > 0.03  # measured ~0.06 heatmap px; see docs/benchmarks.md


def test_spatial_loss_with_h3r_literal_decoder_is_consistent(rng):
    keypoints = rng.uniform(0, 252, (1, 50, 2))
    head = build_head('SpatialSoftmaxCELoss', decode_scores='logits', k=50)
    (pred,) = head.decode(
        head.score_maps(optimal_output('SpatialSoftmaxCELoss', expected_targets(keypoints)).float())
    )
    assert np.abs(pred.keypoints - keypoints).max() / 4 < 1e-3


@pytest.mark.parametrize(
    'loss_type, channels, args',
    [
        ('SpatialSoftmaxCELoss', 3, {}),
        ('PixelwiseTwoClassCELoss', 6, {}),
        ('TwoClassSpatialSoftmaxCELoss', 6, {}),
        ('TwoClassSpatialSoftmaxCELoss', 6, {'pixelwise_weight': 1.0}),
    ],
)
def test_zero_weights_give_zero_loss(loss_type, channels, args):
    """Every keypoint invisible: loss 0 with a gradient graph, no NaN."""
    loss = MODELS.build(dict(type=loss_type, **args))
    output = torch.randn(2, channels, 8, 8, requires_grad=True)
    value = loss(output, torch.zeros(2, 3, 8, 8), torch.zeros(2, 3))
    assert value.item() == 0
    assert value.requires_grad
    value.backward()
    assert torch.isfinite(output.grad).all()
    assert output.grad.abs().max() == 0


@pytest.mark.parametrize('loss_type', LOSSES)
def test_loss_rejects_mismatched_shapes(loss_type):
    loss = MODELS.build(dict(type=loss_type))
    with pytest.raises(ValueError, match=r'output of shape \(1, 5, 8, 8\).*target \(1, 3, 8, 8\)'):
        loss(torch.zeros(1, 5, 8, 8), torch.zeros(1, 3, 8, 8))
    with pytest.raises(ValueError, match='does not match output'):
        loss(torch.zeros(1, 3 * loss.logits_per_keypoint, 8, 8), torch.zeros(1, 3, 4, 4))
    with pytest.raises(ValueError, match='target_weights of shape'):
        loss(
            torch.zeros(1, 3 * loss.logits_per_keypoint, 8, 8),
            torch.zeros(1, 3, 8, 8),
            torch.ones(1, 4),
        )


def test_head_rejects_a_loss_without_a_probability_model():
    with pytest.raises(TypeError, match='not a randomized rounding loss'):
        MODELS.build(
            dict(
                type='RandomizedRoundingHead',
                in_channels=8,
                out_channels=3,
                loss=dict(type='KeypointMSELoss'),
            )
        )


@pytest.mark.parametrize('pixelwise_weight', [0.0, 1.0])
@pytest.mark.parametrize('decode_scores', ['log_prob', 'logits'])
def test_two_class_spatial_softmax_optimum_decodes_exactly(pixelwise_weight, decode_scores, rng):
    """The paper configs' loss: its optimum decodes to the truth both through
    its log-probabilities and through H3R's released raw-logit decoder (a
    per-map constant cancels in the top-k softmax), also with the per-pixel
    term added."""
    keypoints = rng.uniform(0, 252, (1, 200, 2))
    q = expected_targets(keypoints)
    head = build_head(
        'TwoClassSpatialSoftmaxCELoss', decode_scores, k=200, pixelwise_weight=pixelwise_weight
    )
    output = optimal_output('TwoClassSpatialSoftmaxCELoss', q)
    output = output + torch.randn(1, 2 * 200, 1, 1, dtype=output.dtype)  # a constant per map
    (pred,) = head.decode(head.score_maps(output.float()))
    assert np.abs(pred.keypoints - keypoints).max() / 4 < 1e-3


def test_two_class_spatial_softmax_optimum_with_pixelwise_term_is_stationary(rng):
    q = expected_targets(rng.uniform(0, 252, (1, 3, 2)))
    loss = MODELS.build(dict(type='TwoClassSpatialSoftmaxCELoss', pixelwise_weight=0.5))
    output = optimal_output('TwoClassSpatialSoftmaxCELoss', q).requires_grad_(True)
    loss(output, q, torch.ones(1, 3, dtype=q.dtype)).backward()
    assert output.grad.abs().max() < 1e-6


def test_two_class_spatial_softmax_rejects_a_negative_pixelwise_weight():
    with pytest.raises(ValueError, match='pixelwise_weight must be >= 0'):
        MODELS.build(dict(type='TwoClassSpatialSoftmaxCELoss', pixelwise_weight=-1))


@pytest.mark.parametrize('loss_type', LOSSES)
def test_loss_refuses_a_gaussian_target_clearly(loss_type):
    """MMPose's MSRAHeatmap target, the right shape but no distribution (what
    a config inheriting MMPose's pipelines through _base_ feeds it)."""
    gaussian = KEYPOINT_CODECS.build(
        dict(type='MSRAHeatmap', input_size=(256, 256), heatmap_size=(64, 64), sigma=2)
    )
    keypoints = np.array([[[100.3, 80.7], [30.2, 200.9]]])
    target = torch.from_numpy(gaussian.encode(keypoints)['heatmaps'])[None]
    loss = MODELS.build(dict(type=loss_type))
    output = torch.zeros(1, 2 * loss.logits_per_keypoint, 64, 64)
    with pytest.raises(
        ValueError, match=r'a distribution over the cells .*summing to 25.1.*\(MSRAHeatmap'
    ):
        loss(output, target)
    # The randomized rounding codec's targets, drawn and expected, pass.
    for mode in ('random', 'expected'):
        codec = KEYPOINT_CODECS.build(
            dict(
                type='RandomizedRoundingHeatmap',
                input_size=(256, 256),
                heatmap_size=(64, 64),
                target_mode=mode,
            )
        )
        assert torch.isfinite(
            loss(output, torch.from_numpy(codec.encode(keypoints)['heatmaps'])[None])
        )
    # The codec is fixed by the config, so the values are read on the first
    # batch only (one device sync per loss); every batch's shape is checked.
    assert torch.isfinite(loss(output, target))
    with pytest.raises(ValueError, match='does not match output'):
        loss(output, target[:, :, :32])
