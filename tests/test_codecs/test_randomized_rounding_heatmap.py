import numpy as np
import pytest
import torch
from mmpose.registry import KEYPOINT_CODECS

from rr_mmpose.codecs import RandomizedRoundingHeatmap


def make_codec(**kwargs) -> RandomizedRoundingHeatmap:
    cfg = dict(type='RandomizedRoundingHeatmap', input_size=(256, 256), heatmap_size=(64, 64))
    cfg.update(kwargs)
    return KEYPOINT_CODECS.build(cfg)


def log_expected(codec, keypoints) -> np.ndarray:
    """The ideal log-probability maps: log of the expected target."""
    expected = make_codec(
        input_size=codec.input_size, heatmap_size=codec.heatmap_size, target_mode='expected'
    ).encode(keypoints)['heatmaps']
    return np.log(np.maximum(expected, 1e-30))


def test_build_from_registry():
    codec = make_codec(topk=5)
    assert isinstance(codec, RandomizedRoundingHeatmap)
    assert codec.topk == 5 and codec.support_batch_decoding
    np.testing.assert_array_equal(codec.scale_factor, [4, 4])


def test_encode_contract(rng):
    codec = make_codec()
    keypoints = rng.uniform(0, 252, (1, 98, 2))
    encoded = codec.encode(keypoints, np.ones((1, 98)))
    assert encoded['heatmaps'].shape == (98, 64, 64)
    assert encoded['heatmaps'].dtype == np.float32
    assert encoded['keypoint_weights'].shape == (1, 98)
    assert encoded['keypoint_weights'].dtype == np.float32
    # One activation per keypoint, next to the true position.
    assert set(np.unique(encoded['heatmaps'])) == {0.0, 1.0}
    np.testing.assert_array_equal(encoded['heatmaps'].sum(axis=(1, 2)), 1)
    y, x = np.unravel_index(encoded['heatmaps'].reshape(98, -1).argmax(1), (64, 64))
    hm = keypoints[0] / 4
    assert np.all((x == np.floor(hm[:, 0])) | (x == np.floor(hm[:, 0]) + 1))
    assert np.all((y == np.floor(hm[:, 1])) | (y == np.floor(hm[:, 1]) + 1))


def test_rounding_is_unbiased():
    """Mean activation of n draws equals x / stride within 5 standard errors."""
    codec = make_codec(seed=1)
    keypoints = np.array([[[101.3, 37.9], [10.02, 250.5], [0.0, 3.999]]])
    n = 20000
    positions = np.zeros((n, 3, 2))
    for i in range(n):
        hm = codec.encode(keypoints)['heatmaps'].reshape(3, -1).argmax(1)
        positions[i] = np.stack([hm % 64, hm // 64], axis=1)
    target = keypoints[0] / 4
    frac = target - np.floor(target)
    bound = 5 * np.sqrt(frac * (1 - frac) / n) + 1e-12
    assert np.all(np.abs(positions.mean(0) - target) <= bound)


def test_mean_of_draws_is_the_bilinear_expectation(rng):
    keypoints = rng.uniform(0, 255, (1, 4, 2))
    expected = make_codec(target_mode='expected').encode(keypoints)['heatmaps']
    np.testing.assert_allclose(expected.sum(axis=(1, 2)), 1, atol=1e-6)
    # Bilinear weights: the mean position of the expectation is exact.
    ys, xs = np.mgrid[:64, :64]
    mean_xy = np.stack([(expected * xs).sum((1, 2)), (expected * ys).sum((1, 2))], 1)
    np.testing.assert_allclose(mean_xy, keypoints[0] / 4, atol=1e-4)
    codec = make_codec(seed=3)
    draws = np.mean([codec.encode(keypoints)['heatmaps'] for _ in range(4000)], axis=0)
    assert np.abs(draws - expected).max() < 0.04


def test_decoding_the_ideal_prediction_is_lossless(rng):
    codec = make_codec()
    keypoints = rng.uniform(0, 252, (1, 98, 2))
    decoded, scores = codec.decode(log_expected(codec, keypoints))
    assert decoded.shape == (1, 98, 2) and scores.shape == (1, 98)
    # Better than 1e-3 heatmap pixels (= 4e-3 input pixels at stride 4).
    assert np.abs(decoded - keypoints).max() / 4 < 1e-3
    np.testing.assert_allclose(scores, 1, atol=1e-5)


def test_batch_decode_matches_decode(rng):
    codec = make_codec()
    maps = torch.from_numpy(rng.normal(0, 3, (5, 17, 64, 64)).astype(np.float32))
    batch_keypoints, batch_scores = codec.batch_decode(maps)
    assert batch_keypoints.shape == (5, 1, 17, 2) and batch_scores.shape == (5, 1, 17)
    for i in range(5):
        keypoints, scores = codec.decode(maps[i].numpy())
        np.testing.assert_allclose(batch_keypoints[i], keypoints, atol=1e-5)
        np.testing.assert_allclose(batch_scores[i], scores, atol=1e-5)


def test_decode_matches_a_naive_reference(rng):
    codec = make_codec(topk=9)
    maps = rng.normal(0, 2, (3, 64, 64)).astype(np.float32)
    keypoints, _ = codec.decode(maps)
    for k in range(3):
        flat = maps[k].ravel()
        top = np.argsort(flat)[::-1][:9]
        w = np.exp(flat[top] - flat[top].max())
        w /= w.sum()
        ref = np.array([(w * (top % 64)).sum(), (w * (top // 64)).sum()]) * 4
        np.testing.assert_allclose(keypoints[0, k], ref, atol=1e-4)


def test_non_square_input_and_heatmap(rng):
    codec = make_codec(input_size=(192, 256), heatmap_size=(48, 64))
    keypoints = rng.uniform(0, [188, 252], (1, 17, 2))
    heatmaps = codec.encode(keypoints)['heatmaps']
    assert heatmaps.shape == (17, 64, 48)
    decoded, _ = codec.decode(log_expected(codec, keypoints))
    np.testing.assert_allclose(decoded, keypoints, atol=4e-3)


def test_global_rng_makes_targets_reproducible(rng):
    keypoints = rng.uniform(0, 252, (1, 30, 2))
    codec = make_codec()
    np.random.seed(7)
    first = codec.encode(keypoints)['heatmaps']
    np.random.seed(7)
    np.testing.assert_array_equal(codec.encode(keypoints)['heatmaps'], first)
    # A fresh draw differs (30 sub-pixel points: 2**-60 chance of a tie).
    assert not np.array_equal(codec.encode(keypoints)['heatmaps'], first)
    seeded = [make_codec(seed=5).encode(keypoints)['heatmaps'] for _ in range(2)]
    np.testing.assert_array_equal(*seeded)


# --- bad input: a clear error or a defined result ---------------------------


def test_keypoints_outside_the_heatmap_get_zero_weight_and_empty_maps():
    codec = make_codec()
    keypoints = np.array([[[-0.5, 10.0], [252.5, 10.0], [10.0, 300.0], [252.0, 252.0]]])
    encoded = codec.encode(keypoints)
    np.testing.assert_array_equal(encoded['keypoint_weights'], [[0, 0, 0, 1]])
    np.testing.assert_array_equal(encoded['heatmaps'][:3].sum(axis=(1, 2)), 0)
    assert encoded['heatmaps'][3, 63, 63] == 1  # the last cell is inside


def test_invisible_keypoints_get_zero_weight_and_empty_maps():
    codec = make_codec(target_mode='expected')
    keypoints = np.array([[[10.0, 10.0], [np.nan, np.inf]]])
    encoded = codec.encode(keypoints, np.array([[0.0, 0.0]]))
    np.testing.assert_array_equal(encoded['keypoint_weights'], [[0, 0]])
    assert not encoded['heatmaps'].any()


def test_visible_nan_or_inf_is_an_error():
    codec = make_codec()
    for bad in (np.nan, np.inf):
        with pytest.raises(ValueError, match=r'visible keypoints \[1\] have NaN or infinite'):
            codec.encode(np.array([[[10.0, 10.0], [bad, 5.0]]]))


def test_visibility_is_used_as_weight():
    encoded = make_codec().encode(np.array([[[10.0, 10.0], [20.0, 20.0]]]), np.array([[0.5, 1]]))
    np.testing.assert_array_equal(encoded['keypoint_weights'], [[0.5, 1.0]])


@pytest.mark.parametrize(
    'keypoints, visible, error, match',
    [
        (np.zeros((2, 5, 2)), None, ValueError, 'one instance at a time'),
        (np.zeros((1, 5, 3)), None, ValueError, r'shape \(1, K, 2\)'),
        (np.zeros((5, 2)), None, ValueError, r'shape \(1, K, 2\)'),
        (np.zeros((1, 5, 2)), np.ones((1, 4)), ValueError, r'keypoints_visible must have shape'),
        (np.full((1, 2, 2), 'a'), None, TypeError, 'real numeric'),
        (np.zeros((1, 2, 2), complex), None, TypeError, 'real numeric'),
    ],
)
def test_malformed_encode_input(keypoints, visible, error, match):
    with pytest.raises(error, match=match):
        make_codec().encode(keypoints, visible)


def test_integer_keypoints_are_accepted():
    encoded = make_codec().encode(np.array([[[8, 12]]], dtype=np.int32))
    assert encoded['heatmaps'][0, 3, 2] == 1


@pytest.mark.parametrize(
    'kwargs, match',
    [
        (dict(topk=64 * 64 + 1), r'topk must be in \[1, W\*H = 4096\]'),
        (dict(topk=0), 'topk must be in'),
        (dict(heatmap_size=(60, 64)), 'not a whole multiple'),
        (dict(heatmap_size=(0, 64)), 'two positive integers'),
        (dict(input_size=(256.5, 256)), 'two positive integers'),
        (dict(target_mode='gaussian'), 'target_mode must be one of'),
    ],
)
def test_invalid_codec_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_codec(**kwargs)


def test_decode_rejects_wrong_shapes():
    codec = make_codec()
    with pytest.raises(ValueError, match=r'shape \(K, H, W\)'):
        codec.decode(np.zeros((64, 64)))
    with pytest.raises(ValueError, match='do not match heatmap_size'):
        codec.decode(np.zeros((3, 32, 32)))
    with pytest.raises(ValueError, match=r'shape \(B, K, H, W\)'):
        codec.batch_decode(torch.zeros(3, 64, 64))
