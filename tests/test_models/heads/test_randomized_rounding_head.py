import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData
from mmpose.registry import KEYPOINT_CODECS, MODELS
from mmpose.structures import PoseDataSample
from mmpose.structures.keypoint import flip_keypoints

from rr_mmpose.datasets.face_template import FLIP_INDICES


def test_flip_test_mirrors_coordinates_exactly(rng):
    """Ideal maps of the plain and of the flipped input: the head's flip test
    (MMPose's flip_keypoints on decoded coordinates) returns the keypoints,
    and the scores follow their keypoints through the swap."""
    codec = dict(
        type='RandomizedRoundingHeatmap',
        input_size=(128, 128),
        heatmap_size=(32, 32),
        target_mode='expected',
    )
    encoder = KEYPOINT_CODECS.build(codec)
    keypoints = rng.uniform(3, 124, (1, 68, 2))  # inside the map, flipped too
    flipped, _ = flip_keypoints(keypoints.copy(), np.ones((1, 68)), (128, 128), FLIP_INDICES)
    logits = {
        name: torch.from_numpy(np.log(np.maximum(encoder.encode(points)['heatmaps'], 1e-30)))[None]
        for name, points in (('plain', keypoints), ('flipped', flipped))
    }
    # Blur one keypoint's flipped map: its score drops, at its own index.
    logits['flipped'][0, FLIP_INDICES[0]] = 0.0
    head = MODELS.build(
        dict(type='RandomizedRoundingHead', in_channels=4, out_channels=68, decoder=codec)
    )
    head.forward = lambda feats: logits[feats]
    sample = PoseDataSample(metainfo=dict(flip_indices=FLIP_INDICES))
    (pred,) = head.predict(['plain', 'flipped'], [sample], test_cfg=dict(flip_test=True))
    keep = np.arange(68) != 0
    np.testing.assert_allclose(pred.keypoints[0, keep], keypoints[0, keep], atol=1e-3)
    assert pred.keypoint_scores[0, 0] < pred.keypoint_scores[0, keep].min()


def test_flip_test_calibrates_the_averaged_raw_score():
    """With a score calibration, the flip test averages the two passes' raw
    masses and calibrates the mean once: scores are the calibration of the
    uncalibrated head's scores, in the same order, keypoints unchanged."""
    from rr_mmpose.codecs.score_calibration import calibrate_scores

    codec = dict(type='RandomizedRoundingHeatmap', input_size=(128, 128), heatmap_size=(32, 32))
    logits = {
        name: 3 * torch.randn(1, 68, 32, 32, generator=torch.Generator().manual_seed(seed))
        for seed, name in enumerate(('plain', 'flipped'))
    }
    preds = []
    for calibration in (dict(), dict(score_temperature=0.6, score_bias=-1.0)):
        head = MODELS.build(
            dict(
                type='RandomizedRoundingHead',
                in_channels=4,
                out_channels=68,
                decoder=dict(codec, **calibration),
            )
        )
        head.forward = lambda feats: logits[feats]
        sample = PoseDataSample(metainfo=dict(flip_indices=FLIP_INDICES))
        (pred,) = head.predict(['plain', 'flipped'], [sample], test_cfg=dict(flip_test=True))
        preds.append(pred)
    raw, calibrated = preds
    np.testing.assert_array_equal(calibrated.keypoints, raw.keypoints)
    expected = calibrate_scores(torch.from_numpy(raw.keypoint_scores), 0.6, -1.0).numpy()
    np.testing.assert_allclose(calibrated.keypoint_scores, expected, rtol=1e-6)
    order = np.argsort(raw.keypoint_scores[0], kind='stable')
    assert (np.diff(calibrated.keypoint_scores[0, order]) >= 0).all()


@pytest.mark.parametrize('decode_scores', ['log_prob', 'logits'])
def test_predict_with_flip_test_and_heatmaps(decode_scores):
    """The heatmaps are the loss's probabilities, also when H3R's raw
    logits are decoded."""
    head = MODELS.build(
        dict(
            type='RandomizedRoundingHead',
            in_channels=16,
            out_channels=68,
            decode_scores=decode_scores,
            decoder=dict(
                type='RandomizedRoundingHeatmap', input_size=(128, 128), heatmap_size=(32, 32)
            ),
        )
    )
    head.eval()
    feats = (torch.randn(2, 16, 32, 32),)
    sample = PoseDataSample(metainfo=dict(flip_indices=FLIP_INDICES.tolist()))
    preds, heatmaps = head.predict(
        [feats, (feats[0].flip(-1),)],
        [sample, sample],
        test_cfg=dict(flip_test=True, output_heatmaps=True),
    )
    assert len(preds) == 2 and isinstance(preds[0], InstanceData)
    assert preds[0].keypoints.shape == (1, 68, 2)
    assert preds[0].keypoint_scores.shape == (1, 68)
    assert heatmaps[0].heatmaps.shape == (68, 32, 32)
    # Probabilities of the spatial softmax: each map sums to 1.
    np.testing.assert_allclose(heatmaps[0].heatmaps.sum((1, 2)).numpy(), 1, atol=1e-4)


def test_flip_test_needs_both_passes():
    head = MODELS.build(
        dict(
            type='RandomizedRoundingHead',
            in_channels=4,
            out_channels=2,
            decoder=dict(
                type='RandomizedRoundingHeatmap', input_size=(32, 32), heatmap_size=(8, 8)
            ),
        )
    )
    with pytest.raises(ValueError, match='flip_test expects'):
        head.predict(
            (torch.randn(1, 4, 8, 8),),
            [PoseDataSample(metainfo=dict(flip_indices=[1, 0]))],
            test_cfg=dict(flip_test=True),
        )


def test_invalid_decode_scores():
    with pytest.raises(ValueError, match='decode_scores must be one of'):
        MODELS.build(
            dict(
                type='RandomizedRoundingHead',
                in_channels=4,
                out_channels=2,
                decode_scores='softmax',
            )
        )
