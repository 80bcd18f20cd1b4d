"""RandomizedRoundingSimCC: randomized rounding targets for RTMPose's SimCC
head, checked through MMPose's own RTMCCHead, KLDiscretLoss and flip test."""

import re

import numpy as np
import pytest
import torch
from mmpose.datasets.transforms import GenerateTarget, PackPoseInputs
from mmpose.registry import KEYPOINT_CODECS, MODELS
from mmpose.structures import PoseDataSample
from mmpose.structures.keypoint import flip_keypoints
from torch import nn

from rr_mmpose.codecs import RandomizedRoundingSimCC
from rr_mmpose.deployment import cpu_session, export_graph

from ..helpers import DecodeOnly

SIZE = 128  # square input, w = h
BETA = 10.0
LOSS = dict(type='KLDiscretLoss', use_target_weight=True, beta=BETA, label_softmax=False)


def make_codec(**kwargs) -> RandomizedRoundingSimCC:
    cfg = dict(type='RandomizedRoundingSimCC', input_size=(SIZE, SIZE), beta=BETA)
    cfg.update(kwargs)
    return KEYPOINT_CODECS.build(cfg)


def bin_position(keypoints: np.ndarray, split: float) -> np.ndarray:
    return (keypoints + 0.5) * split - 0.5


def ideal_logits(keypoints: np.ndarray, split: float) -> tuple[torch.Tensor, torch.Tensor]:
    """The loss optimum: ``log q / beta`` of the expected two-hot targets."""
    encoded = make_codec(simcc_split_ratio=split, target_mode='expected').encode(keypoints)
    return tuple(
        torch.from_numpy(np.log(np.maximum(encoded[key], 1e-30)) / BETA).float()
        for key in ('keypoint_x_labels', 'keypoint_y_labels')
    )


def flip_pairs(rng, num_keypoints: int) -> list[int]:
    """A random involution: disjoint swapped pairs, the rest fixed."""
    order = rng.permutation(num_keypoints)
    flip_indices = np.arange(num_keypoints)
    pairs = order[: 2 * (num_keypoints // 3)].reshape(-1, 2)
    flip_indices[pairs[:, 0]], flip_indices[pairs[:, 1]] = pairs[:, 1], pairs[:, 0]
    return flip_indices.tolist()


def build_head(split: float, num_keypoints: int, decoder: dict) -> nn.Module:
    return MODELS.build(
        dict(
            type='RTMCCHead',
            in_channels=8,
            out_channels=num_keypoints,
            input_size=(SIZE, SIZE),
            in_featuremap_size=(4, 4),
            simcc_split_ratio=split,
            gau_cfg=dict(
                hidden_dims=32,
                s=16,
                expansion_factor=2,
                dropout_rate=0.0,
                drop_path=0.0,
                act_fn='SiLU',
                use_rel_bias=False,
                pos_enc=False,
            ),
            loss=LOSS,
            decoder=decoder,
        )
    )


def predict_through_head(head, logits: dict, flip_indices: list[int], flip_test: bool):
    """RTMCCHead.predict on prepared logits (its forward replaced), with or
    without MMPose's flip test; returns keypoints (B, K, 2), scores (B, K)."""
    head.forward = lambda feats: logits[feats]
    samples = [PoseDataSample(metainfo=dict(flip_indices=flip_indices))]
    if flip_test:
        preds = head.predict(['plain', 'flipped'], samples, test_cfg=dict(flip_test=True))
    else:
        preds = head.predict('plain', samples, test_cfg=dict())
    for pred in preds:
        assert pred.keypoints.shape[0] == 1 and pred.keypoint_scores.shape[0] == 1
    keypoints = np.concatenate([pred.keypoints for pred in preds])
    scores = np.concatenate([pred.keypoint_scores for pred in preds])
    return keypoints, scores


def draw_points(rng) -> tuple[np.ndarray, list[int]]:
    """Random sub-bin points of 2 instances x 100 keypoints, inside the valid
    range at every split ratio also after flipping, and flip pairs."""
    return rng.uniform(1, SIZE - 2, (2, 100, 2)), flip_pairs(rng, 100)


def plain_and_flipped(keypoints, flip_indices, split: float, make_logits) -> dict:
    """The logits of the plain and of the flipped input, for RTMCCHead."""
    flipped, _ = flip_keypoints(
        keypoints.copy(), np.ones(keypoints.shape[:2]), (SIZE, SIZE), flip_indices
    )
    return dict(plain=make_logits(keypoints, split), flipped=make_logits(flipped, split))


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


# ----------------------------------------------- the optimum through RTMCCHead


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
    (1 - 1/s) / 2 px, which the argmax quantises; RandomizedRoundingSimCC,
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
    # Smooth logits: the predicted shift, quantised by the argmax.
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


# ------------------------------------------------------------------------ loss


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


# ------------------------------------------------------------------------ ONNX


def test_onnx_decoding_matches_pytorch(tmp_path, rng):
    codec = make_codec(simcc_split_ratio=2.0)
    path = tmp_path / 'decode.onnx'
    zeros = (torch.zeros(2, 17, 256), torch.zeros(2, 17, 256))
    export_graph(DecodeOnly(codec), zeros, path, ['simcc_x', 'simcc_y'], ['keypoints', 'scores'])
    session = cpu_session(path)
    keypoints = rng.uniform(1, SIZE - 2, (3, 17, 2))
    ideal = ideal_logits(keypoints, 2.0)
    generator = torch.Generator().manual_seed(0)
    random = tuple(torch.randn(1, 17, 256, generator=generator) for _ in range(2))
    for x, y in (ideal, random):
        ref_kpts, ref_scores = codec.decode_tensor(x, y)
        kpts, scores = session.run(None, {'simcc_x': x.numpy(), 'simcc_y': y.numpy()})
        assert kpts.shape == (x.shape[0], 17, 2) and scores.shape == (x.shape[0], 17)
        assert np.abs(kpts - ref_kpts.numpy()).max() < 1e-3
        assert np.abs(scores - ref_scores.numpy()).max() < 1e-5
    kpts, _ = session.run(None, {'simcc_x': ideal[0].numpy(), 'simcc_y': ideal[1].numpy()})
    assert np.abs(kpts - keypoints).max() < 1e-3
