"""RandomizedRoundingSimCC: construction, encoding and decoding. Through
MMPose's RTMCCHead, KLDiscretLoss and ONNX: tests/test_models and
tests/test_deployment."""

import re

import numpy as np
import pytest
import torch

from rr_mmpose.codecs import RandomizedRoundingSimCC

from ..simcc_helpers import (
    BETA,
    SIZE,
    bin_position,
    build_head,
    ideal_logits,
    make_codec,
)

# ----------------------------------------------------------------- construction


def test_build_from_registry():
    codec = make_codec(simcc_split_ratio=1.5, window=3)
    assert isinstance(codec, RandomizedRoundingSimCC)
    assert codec.simcc_size == (192, 192) and codec.window == 3 and codec.beta == BETA
    assert codec.support_batch_decoding
    assert codec.label_mapping_table == dict(
        keypoint_x_labels='keypoint_x_labels',
        keypoint_y_labels='keypoint_y_labels',
        keypoint_weights='keypoint_weights',
    )
    assert make_codec(input_size=(192, 256), simcc_split_ratio=0.5).simcc_size == (96, 128)


@pytest.mark.parametrize(
    'kwargs, match',
    [
        (dict(simcc_split_ratio=0), 'simcc_split_ratio must be positive'),
        (dict(simcc_split_ratio=-2.0), 'simcc_split_ratio must be positive'),
        (dict(input_size=(127, 128), simcc_split_ratio=0.5), 'must be a whole number'),
        (dict(input_size=(128, 127), simcc_split_ratio=1.5), 'must be a whole number'),
        (dict(window=0), 'window must be an integer >= 1'),
        (dict(window=1.5), 'window must be an integer >= 1'),
        (dict(input_size=(4, 16), simcc_split_ratio=1.0, window=2), 'window larger than'),
        (dict(input_size=(0, 128)), 'input_size must be two positive integers'),
        (dict(input_size=(12.5, 128)), 'input_size must be two positive integers'),
        (dict(input_size=(128,)), 'input_size must be two positive integers'),
        (dict(target_mode='gaussian'), 'target_mode must be one of'),
        (dict(beta=0), 'beta must be positive'),
    ],
)
def test_bad_construction_raises(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_codec(**kwargs)


# --------------------------------------------------------------------- encoding


@pytest.mark.parametrize('split', [0.5, 1.0, 2.0])
def test_encode_contract(rng, split):
    codec = make_codec(simcc_split_ratio=split)
    keypoints = rng.uniform(1, SIZE - 2, (1, 17, 2))
    encoded = codec.encode(keypoints, np.ones((1, 17)))
    width = int(SIZE * split)
    assert encoded['keypoint_x_labels'].shape == (1, 17, width)
    assert encoded['keypoint_y_labels'].shape == (1, 17, width)
    assert encoded['keypoint_weights'].shape == (1, 17)
    for value in encoded.values():
        assert value.dtype == np.float32
    np.testing.assert_array_equal(encoded['keypoint_weights'], 1)
    u = bin_position(keypoints, split)
    for axis, key in enumerate(('keypoint_x_labels', 'keypoint_y_labels')):
        labels = encoded[key]
        assert set(np.unique(labels)) == {0.0, 1.0}
        np.testing.assert_array_equal(labels.sum(-1), 1)
        drawn = labels.argmax(-1)
        low = np.floor(u[..., axis])
        assert np.all((drawn == low) | (drawn == low + 1))
    # Default visibility is all ones.
    assert codec.encode(keypoints)['keypoint_weights'].sum() == 17


def test_rounding_is_unbiased():
    """Mean drawn bin of n draws equals u within 5 standard errors; the
    'expected' two-hot target has mean position u exactly."""
    split = 2.0
    keypoints = np.array([[[101.3, 37.9], [10.02, 126.5], [0.0, 3.999], [127.0, 64.25]]])
    u = bin_position(keypoints[0], split)
    n = 20000
    codec = make_codec(simcc_split_ratio=split, seed=1)
    encoded = codec.encode(np.repeat(keypoints, n, axis=0))
    drawn = np.stack(
        [encoded['keypoint_x_labels'].argmax(-1), encoded['keypoint_y_labels'].argmax(-1)], -1
    )
    frac = u - np.floor(u)
    bound = 5 * np.sqrt(frac * (1 - frac) / n) + 1e-12
    assert np.all(np.abs(drawn.mean(0) - u) <= bound)
    # Fresh draws on every call.
    again = codec.encode(np.repeat(keypoints, 50, axis=0))['keypoint_x_labels']
    assert not np.array_equal(again, encoded['keypoint_x_labels'][:50])

    expected = make_codec(simcc_split_ratio=split, target_mode='expected').encode(keypoints)
    for axis, key in enumerate(('keypoint_x_labels', 'keypoint_y_labels')):
        labels = expected[key][0]
        np.testing.assert_allclose(labels.sum(-1), 1, atol=1e-6)
        assert np.all((labels > 0).sum(-1) <= 2)
        np.testing.assert_allclose(labels @ np.arange(labels.shape[-1]), u[:, axis], atol=1e-4)
        # The mean of the draws is the expectation.
        np.testing.assert_allclose(encoded[key].mean(0), labels, atol=0.02)


def test_several_instances(rng):
    codec = make_codec(simcc_split_ratio=2.0, target_mode='expected')
    keypoints = rng.uniform(1, SIZE - 2, (3, 5, 2))
    visible = np.ones((3, 5))
    visible[1, 2] = 0
    encoded = codec.encode(keypoints, visible)
    assert encoded['keypoint_x_labels'].shape == (3, 5, 256)
    for n in range(3):
        alone = codec.encode(keypoints[n : n + 1], visible[n : n + 1])
        for key, value in alone.items():
            np.testing.assert_array_equal(encoded[key][n : n + 1], value)
    assert encoded['keypoint_weights'][1, 2] == 0
    assert encoded['keypoint_x_labels'][1, 2].sum() == 0


def test_seed_is_reproducible(rng):
    keypoints = rng.uniform(1, SIZE - 2, (4, 17, 2))
    first, second = make_codec(seed=7), make_codec(seed=7)
    for _ in range(3):
        a, b = first.encode(keypoints), second.encode(keypoints)
        for key in a:
            np.testing.assert_array_equal(a[key], b[key])
    other = make_codec(seed=8).encode(keypoints)['keypoint_x_labels']
    assert not np.array_equal(other, make_codec(seed=7).encode(keypoints)['keypoint_x_labels'])


@pytest.mark.parametrize('target_mode', ['random', 'expected'])
def test_inactive_keypoints_get_no_target(target_mode):
    """Invisible (also non-finite) and out-of-range (also the s = 0.5
    border) keypoints: weight 0 and empty labels; their neighbours are
    unaffected."""
    codec = make_codec(simcc_split_ratio=0.5, target_mode=target_mode, seed=0)
    nan, inf = np.nan, np.inf
    keypoints = np.array(
        [
            [
                [10.0, 20.0],  # 0 valid
                [30.0, 40.0],  # 1 invisible
                [-3.0, 40.0],  # 2 left of the image
                [50.0, 130.0],  # 3 below the image
                [0.2, 40.0],  # 4 u = -0.15 at s = 0.5: inside the image, outside [0, W-1]
                [nan, 40.0],  # 5 NaN, invisible
                [nan, nan],  # 6 NaN, invisible
                [inf, 3.0],  # 7 inf, invisible
                [0.5, 126.5],  # 8 valid: u = 0 and u = W - 1 exactly
                [77.7, 33.3],  # 9 valid
            ]
        ]
    )
    visible = np.array([[1, 0, 1, 1, 1, 0, 0, 0, 0.6, 2.0]])
    encoded = codec.encode(keypoints, visible)
    active = np.array([0, 8, 9])
    inactive = np.setdiff1d(np.arange(10), active)
    np.testing.assert_allclose(encoded['keypoint_weights'][0, active], [1, 0.6, 2.0], rtol=1e-6)
    np.testing.assert_array_equal(encoded['keypoint_weights'][0, inactive], 0)
    for key in ('keypoint_x_labels', 'keypoint_y_labels'):
        assert np.all(np.isfinite(encoded[key]))
        np.testing.assert_array_equal(encoded[key][0, inactive], 0)
        np.testing.assert_allclose(encoded[key][0, active].sum(-1), 1, atol=1e-6)
    # The border point sits exactly on the first and last bins.
    assert encoded['keypoint_x_labels'][0, 8, 0] == 1
    assert encoded['keypoint_y_labels'][0, 8, 63] == 1
    # Valid keypoints encode as they would alone (same draws: same seed, the
    # uniform numbers are drawn for every keypoint).
    alone = make_codec(simcc_split_ratio=0.5, target_mode=target_mode, seed=0).encode(
        np.where(np.isin(np.arange(10), active)[None, :, None], keypoints, 64.0)
    )
    for key in ('keypoint_x_labels', 'keypoint_y_labels'):
        np.testing.assert_array_equal(encoded[key][0, active], alone[key][0, active])


def test_a_visible_nan_or_inf_is_an_error():
    """As in RandomizedRoundingHeatmap: a visible non-finite keypoint is
    broken data, not a keypoint outside the image."""
    codec = make_codec(seed=0)
    for bad in (np.nan, np.inf):
        keypoints = np.full((2, 3, 2), 10.0)
        keypoints[1, 2, 0] = bad
        with pytest.raises(ValueError, match=r'visible keypoints \[2\] have NaN or infinite'):
            codec.encode(keypoints)


@pytest.mark.parametrize(
    'keypoints, visible, error, match',
    [
        (np.zeros((17, 2)), None, ValueError, r'keypoints must have shape \(N, K, 2\)'),
        (np.zeros((1, 17, 3)), None, ValueError, r'keypoints must have shape \(N, K, 2\)'),
        (np.zeros((1, 17, 2)), np.ones(17), ValueError, 'keypoints_visible must have shape'),
        (np.zeros((2, 17, 2)), np.ones((1, 17)), ValueError, 'keypoints_visible must have shape'),
        (np.zeros((1, 17, 2), complex), None, TypeError, 'keypoints must be a real numeric'),
        (np.full((1, 17, 2), 'a'), None, TypeError, 'keypoints must be a real numeric'),
        (np.zeros((1, 17, 2)), np.full((1, 17), 'x'), TypeError, 'keypoints_visible must be'),
    ],
)
def test_bad_encode_input_raises(keypoints, visible, error, match):
    codec = make_codec()
    with pytest.raises(error, match=match):
        codec.encode(keypoints, visible)
    # Stateless: the codec still encodes afterwards.
    assert codec.encode(np.full((1, 2, 2), 5.0))['keypoint_weights'].sum() == 2


# --------------------------------------------------------------------- decoding


@pytest.mark.parametrize('split', [0.5, 1.0, 2.0, 1.5])
def test_decoding_the_ideal_prediction_is_lossless(rng, split):
    keypoints = rng.uniform(1, SIZE - 2, (3, 50, 2))
    x, y = ideal_logits(keypoints, split)
    codec = make_codec(simcc_split_ratio=split)
    decoded, scores = codec.decode_tensor(x, y)
    assert decoded.shape == (3, 50, 2) and scores.shape == (3, 50)
    assert np.abs(decoded.numpy() - keypoints).max() < 1e-3
    np.testing.assert_allclose(scores.numpy(), 1, atol=1e-5)


def test_decode_shapes_and_paths(rng):
    """decode accepts (K, W) and (N, K, W); batch_decode returns what
    BaseHead.decode unpacks; all agree with decode_tensor."""
    codec = make_codec(simcc_split_ratio=2.0)
    x = torch.randn(3, 17, 256, generator=torch.Generator().manual_seed(0))
    y = torch.randn(3, 17, 256, generator=torch.Generator().manual_seed(1))
    ref_kpts, ref_scores = codec.decode_tensor(x, y)
    assert np.all((ref_scores.numpy() >= 0) & (ref_scores.numpy() <= 1))

    kpts, scores = codec.decode(x.numpy(), y.numpy())
    assert kpts.shape == (3, 17, 2) and scores.shape == (3, 17)
    np.testing.assert_allclose(kpts, ref_kpts.numpy(), atol=1e-6)
    np.testing.assert_allclose(scores, ref_scores.numpy(), atol=1e-7)

    kpts, scores = codec.decode(x[1].numpy(), y[1].numpy())
    assert kpts.shape == (1, 17, 2) and scores.shape == (1, 17)
    np.testing.assert_allclose(kpts[0], ref_kpts[1].numpy(), atol=1e-6)

    kpts, scores = codec.batch_decode(x.requires_grad_(), y)
    assert isinstance(kpts, np.ndarray) and isinstance(scores, np.ndarray)
    assert kpts.shape == (3, 1, 17, 2) and scores.shape == (3, 1, 17)
    np.testing.assert_allclose(kpts[:, 0], ref_kpts.numpy(), atol=1e-6)
    np.testing.assert_allclose(scores[:, 0], ref_scores.numpy(), atol=1e-7)

    # MMPose's own BaseHead.decode, as RTMCCHead.predict calls it.
    head = build_head(2.0, 17, dict(type='RandomizedRoundingSimCC', input_size=(SIZE, SIZE)))
    preds = head.decode((x.detach(), y))
    assert len(preds) == 3
    for pred, ref_k, ref_s in zip(preds, ref_kpts.detach(), ref_scores.detach()):
        assert pred.keypoints.shape == (1, 17, 2) and pred.keypoint_scores.shape == (1, 17)
        np.testing.assert_allclose(pred.keypoints[0], ref_k.numpy(), atol=1e-6)
        np.testing.assert_allclose(pred.keypoint_scores[0], ref_s.numpy(), atol=1e-7)


def test_window_is_masked_at_the_ends():
    """A peak on the first or last bin: the window is cut by the mask, not
    clamped onto duplicate bins."""
    codec = make_codec(input_size=(8, 8), simcc_split_ratio=1.0, window=2)
    x = torch.full((1, 2, 8), -1e4)
    x[0, 0, :2] = torch.tensor([0.0, np.log(0.25) / BETA])  # u = 0.2
    x[0, 1, -2:] = torch.tensor([np.log(0.25) / BETA, 0.0])  # u = 6.8
    y = torch.zeros(1, 2, 8)  # flat: u = 0 + mean of bins 0..2 = 1
    kpts, scores = codec.decode_tensor(x, y)
    np.testing.assert_allclose(kpts[0, :, 0].numpy(), [0.2, 6.8], atol=1e-5)
    np.testing.assert_allclose(kpts[0, :, 1].numpy(), 1.0, atol=1e-5)
    np.testing.assert_allclose(scores[0].numpy(), 3 / 8, atol=1e-5)


@pytest.mark.parametrize(
    'x_shape, y_shape',
    [((17, 255), (17, 256)), ((17, 256), (17, 128)), ((2, 17, 256), (17, 256)), ((256,), (256,))],
)
def test_bad_numpy_decode_input_raises(x_shape, y_shape):
    codec = make_codec(simcc_split_ratio=2.0)
    x, y = np.zeros(x_shape, np.float32), np.zeros(y_shape, np.float32)
    with pytest.raises(ValueError, match=r'simcc_x \(.*\) and simcc_y \(.*\)'):
        codec.decode(x, y)


@pytest.mark.parametrize(
    'x_shape, y_shape',
    [((1, 17, 255), (1, 17, 256)), ((1, 17, 256), (1, 17, 512)), ((2, 17, 256), (1, 17, 256))],
)
def test_bad_tensor_decode_input_raises(x_shape, y_shape):
    codec = make_codec(simcc_split_ratio=2.0)
    x, y = torch.zeros(x_shape), torch.zeros(y_shape)
    match = (
        rf'simcc_x {re.escape(str(x_shape))} and simcc_y {re.escape(str(y_shape))} must have '
        r'shapes \(B, K, Wx = 256\) and \(B, K, Wy = 256\)'
    )
    with pytest.raises(ValueError, match=match):
        codec.decode_tensor(x, y)
    with pytest.raises(ValueError, match=match):
        codec.batch_decode(x, y)


def test_non_real_decode_input_raises():
    codec = make_codec(simcc_split_ratio=2.0)
    x = np.zeros((17, 256), complex)
    with pytest.raises(TypeError, match='simcc_x must be a real numeric array'):
        codec.decode(x, np.zeros((17, 256)))
    with pytest.raises(TypeError, match='simcc_y must hold real logits'):
        codec.decode_tensor(torch.zeros(1, 17, 256), torch.zeros(1, 17, 256, dtype=torch.cfloat))
