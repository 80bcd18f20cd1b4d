"""FaceLandmarkMetric: every figure against a hand computation, agreement
with MMPose's NME, clear errors, and the real path from the WFLW converter
through MMPose's dataset, PackPoseInputs and mmengine's Evaluator."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from mmengine.evaluator import Evaluator
from mmengine.structures import InstanceData
from mmpose.datasets import WFLWDataset
from mmpose.evaluation.metrics import NME
from mmpose.registry import METRICS
from mmpose.structures import PoseDataSample
from PIL import Image

import rr_mmpose.evaluation  # noqa: F401  (registers FaceLandmarkMetric)
from rr_mmpose.datasets import FlaggedWFLWDataset
from rr_mmpose.datasets.converters import convert_wflw
from rr_mmpose.datasets.converters.wflw import ATTRIBUTES
from rr_mmpose.evaluation import FaceLandmarkMetric, auroc, expected_calibration_error

from ..helpers import read_json

K = 4
TOY_META = dict(dataset_name='toy', keypoint_id2name={i: f'k{i}' for i in range(K)})


def sample(
    gt, pred, visible=None, scores=None, index=0, box_size=None, **metainfo
) -> PoseDataSample:
    """One face as MMPose packs it: gt (K, 2), pred (K, 2), visible and scores (K,)."""
    gt, pred = np.asarray(gt, dtype=np.float32), np.asarray(pred, dtype=np.float32)
    gt_fields = dict(
        keypoints=gt[None],
        keypoints_visible=np.ones((1, len(gt)), np.float32) if visible is None else visible[None],
        bboxes=np.concatenate([gt.min(0), gt.max(0)])[None],
    )
    if box_size is not None:
        gt_fields['box_size'] = np.array([box_size], np.float32)
    pred_fields = dict(keypoints=pred[None])
    if scores is not None:
        pred_fields['keypoint_scores'] = np.asarray(scores, np.float32)[None]
    data_sample = PoseDataSample(gt_instances=InstanceData(**gt_fields))
    data_sample.pred_instances = InstanceData(**pred_fields)
    data_sample.set_metainfo(dict(id=index, img_path=f'face{index}.jpg', **metainfo))
    return data_sample


def square(d: float) -> np.ndarray:
    """Ground truth (0, 0), (d, 0), (0, d), (d, d): keypoints 0 and 1 are ``d`` apart."""
    return np.array([[0, 0], [d, 0], [0, d], [d, d]], dtype=np.float64) + 5


def run(metric: FaceLandmarkMetric, samples, meta=TOY_META) -> dict:
    metric.dataset_meta = meta
    metric.process([], [s.to_dict() for s in samples])
    return metric.evaluate(len(samples))


# --- five faces, every figure by hand ----------------------------------------
#
# Keypoints 0 and 1 normalise (d = 10, face 4: d = 20); each prediction is
# the ground truth shifted along x by e_ik * d, so e_ik is the normalised error:
#
#   face  e_ik                      NME_i  scores                   occlusion   subsets
#   0     .01  .01  .01  .01        .01    .95 .95 .95 .95          v 2 2 2 2   pose
#   1     .02  .02  .04  .04        .03    .95 .95 .75 .75          v 2 2 1 1   blur
#   2     .04  .04  .06  .06        .05    .75 .75 .75 .45          v 2 2 1 1   pose, occlusion (**)
#   3     .06  .06  .09  .11        .08    .45 .45 .15 .45          (none)      pose (**)
#   4     .12  .12  .18  .18        .15    .15 .15 .05 .05          v 1 1 2 2   blur
#
# v: COCO flags in raw_ann_info['keypoints'];
# (**) metainfo `attributes`, which wins over raw_ann_info's (face 2 says blur there).
ERRORS = np.array(
    [
        [0.01, 0.01, 0.01, 0.01],
        [0.02, 0.02, 0.04, 0.04],
        [0.04, 0.04, 0.06, 0.06],
        [0.06, 0.06, 0.09, 0.11],
        [0.12, 0.12, 0.18, 0.18],
    ]
)
SCALES = [10, 10, 10, 10, 20]
SCORES = np.array(
    [
        [0.95, 0.95, 0.95, 0.95],
        [0.95, 0.95, 0.75, 0.75],
        [0.75, 0.75, 0.75, 0.45],
        [0.45, 0.45, 0.15, 0.45],
        [0.15, 0.15, 0.05, 0.05],
    ]
)


def raw_keypoints(gt: np.ndarray, flags) -> list[float]:
    return np.concatenate([gt, np.array(flags, float)[:, None]], axis=1).ravel().tolist()


def five_faces(scores=SCORES) -> list[PoseDataSample]:
    samples = []
    metainfo = [
        dict(attributes_raw=dict(pose=True, blur=False), flags=[2, 2, 2, 2]),
        dict(attributes_raw=dict(pose=False, blur=True), flags=[2, 2, 1, 1]),
        dict(
            attributes_raw=dict(blur=True),
            flags=[2, 2, 1, 1],
            attributes=dict(pose=True, occlusion=True),
        ),
        dict(attributes=dict(pose=True)),
        dict(attributes_raw=dict(blur=True), flags=[1, 1, 2, 2]),
    ]
    for i, (errors, d, info) in enumerate(zip(ERRORS, SCALES, metainfo)):
        gt = square(d)
        pred = gt + np.stack([errors * d, np.zeros(K)], axis=1)
        extra = {}
        if 'attributes' in info:
            extra['attributes'] = info['attributes']
        if 'attributes_raw' in info:
            raw = dict(id=i, attributes=info['attributes_raw'])
            if 'flags' in info:
                raw['keypoints'] = raw_keypoints(gt, info['flags'])
            extra['raw_ann_info'] = raw
        face_scores = None if scores is None else scores[i]
        samples.append(sample(gt, pred, scores=face_scores, index=i, **extra))
    return samples


def test_every_figure_matches_the_hand_computation():
    metric = FaceLandmarkMetric(norm_mode='keypoint_distance', keypoint_indices=[0, 1])
    got = run(metric, five_faces())
    expected = {
        # NME_i = .01 .03 .05 .08 .15: mean .064
        'face/NME': 6.4,
        # one face (.15) above 0.1
        'face/FR@0.1': 20.0,
        # mean of max(0, 1 - NME_i / 0.1) = (.9 + .7 + .5 + .2 + 0) / 5; the same as the
        # step CED integrated: (.02 * .2 + .02 * .4 + .03 * .6 + .02 * .8) / 0.1
        'face/AUC@0.1': 0.46,
        # numpy's linear percentiles of the sorted NME_i at positions 2, 3.6, 3.96 of 0..4
        'face/p50': 5.0,
        'face/p90': 100 * (0.08 + 0.6 * 0.07),
        'face/p99': 100 * (0.08 + 0.96 * 0.07),
        # subsets in name order
        'face/NME/blur': 100 * (0.03 + 0.15) / 2,  # faces 1, 4
        'face/NME/occlusion': 5.0,  # face 2
        'face/NME/pose': 100 * (0.01 + 0.05 + 0.08) / 3,  # faces 0, 2, 3
        # correct: e < 0.05 (faces 0 and 1, face 2's first two). Bins of width 1/15:
        #   .95: 6 keypoints, 6 correct: |6 - 5.7|  = 0.3
        #   .75: 5 keypoints, 4 correct: |4 - 3.75| = 0.25
        #   .45: 4 keypoints, 0 correct: |0 - 1.8|  = 1.8
        #   .15: 3 keypoints, 0 correct: |0 - 0.45| = 0.45
        #   .05: 2 keypoints, 0 correct: |0 - 0.1|  = 0.1
        # ECE = (0.3 + 0.25 + 1.8 + 0.45 + 0.1) / 20
        'face/ECE': 2.9 / 20,
        # failed (e > 0.1): face 3's last (.45) and face 4's four (.15 .15 .05 .05);
        # negatives: .95 x6, .75 x5, .45 x3, .15 x1. Negatives scored above each positive,
        # ties half: .45 -> 11 + 3/2, .15 -> 14 + 1/2 (twice), .05 -> 15 (twice)
        'face/AUROC/failed': (12.5 + 2 * 14.5 + 2 * 15) / (5 * 15),
        # faces 0, 1, 2, 4 carry flags. Occluded: .75 .75 .75 .45 .15 .15; not occluded:
        # .95 x6, .75 x2, .05 x2. Negatives above: .75 -> 6 + 2/2 (thrice), .45 -> 8, .15 -> 8
        'face/AUROC/occluded': (3 * 7 + 8 + 2 * 8) / (6 * 10),
    }
    assert got == pytest.approx(expected, rel=1e-5)
    assert list(got) == list(expected)  # nothing else reported


def test_figures_whose_classes_are_empty_are_not_reported():
    metric = FaceLandmarkMetric(norm_mode='keypoint_distance', keypoint_indices=[0, 1])
    assert 'face/ECE' not in run(metric, five_faces(scores=None))
    metric = FaceLandmarkMetric(
        norm_mode='keypoint_distance', keypoint_indices=[0, 1], failure_threshold=0.5
    )
    got = run(metric, five_faces())  # no keypoint fails at 0.5
    assert 'face/AUROC/failed' not in got and 'face/FR@0.5' in got and 'face/ECE' in got
    assert got['face/AUC@0.5'] == pytest.approx(1 - 0.064 / 0.5)
    # faces without occlusion flags: no AUROC/occluded; all visible: no positives
    faces = [sample(square(10), square(10) + 0.2 * i, scores=[0.5] * K, index=i) for i in range(3)]
    metric = FaceLandmarkMetric(norm_mode='keypoint_distance', keypoint_indices=[0, 1])
    assert 'face/AUROC/occluded' not in run(metric, faces)
    for face in faces:
        face.set_metainfo(dict(raw_ann_info=dict(keypoints=raw_keypoints(square(10), [2] * K))))
    metric = FaceLandmarkMetric(norm_mode='keypoint_distance', keypoint_indices=[0, 1])
    assert 'face/AUROC/occluded' not in run(metric, faces)


def test_invisible_keypoints_are_left_out_and_nme_is_per_face():
    # face 0: three keypoints .01 off and an invisible one 5 (normalised) off; face 1: .03
    faces = []
    for i, errors in enumerate([[0.01, 0.01, 0.01, 5.0], [0.03] * K]):
        gt = square(10)
        pred = gt + np.stack([np.array(errors) * 10, np.zeros(K)], axis=1)
        visible = np.array([1, 1, 1, 0] if i == 0 else [1] * K, np.float32)
        faces.append(sample(gt, pred, visible=visible, scores=[0.9] * K, index=i))
    metric = FaceLandmarkMetric(norm_mode='keypoint_distance', keypoint_indices=[0, 1])
    got = run(metric, faces)
    assert got['face/NME'] == pytest.approx(100 * (0.01 + 0.03) / 2)
    # MMPose's NME pools the seven scored keypoints instead: (3 * .01 + 4 * .03) / 7
    mmpose_nme = NME(norm_mode='keypoint_distance', keypoint_indices=[0, 1])
    assert run(mmpose_nme, faces)['NME'] == pytest.approx(0.15 / 7, rel=1e-5)


def test_faces_without_scores_or_visible_keypoints_are_left_out_of_what_needs_them():
    # face 0: .01 off, scores .95; face 1: .03 off, no scores; face 2: nothing visible
    faces = []
    for i, (error, scores) in enumerate([(0.01, [0.95] * K), (0.03, None), (1.0, [0.5] * K)]):
        visible = np.zeros(K, np.float32) if i == 2 else None
        gt = square(10)
        faces.append(sample(gt, gt + [10 * error, 0], visible, scores, index=i))
    metric = FaceLandmarkMetric(norm_mode='keypoint_distance', keypoint_indices=[0, 1])
    got = run(metric, faces)
    assert got['face/NME'] == pytest.approx(2.0)  # faces 0 and 1
    assert got['face/ECE'] == pytest.approx(0.05)  # face 0 only: all correct at .95
    assert 'face/AUROC/failed' not in got  # no keypoint failed


# --- agreement with MMPose's NME ---------------------------------------------


def random_faces(rng, num_faces=7, num_keypoints=K, box_size=False) -> list[PoseDataSample]:
    faces = []
    for i in range(num_faces):
        gt = rng.uniform(0, 100, (num_keypoints, 2))
        pred = gt + rng.normal(0, 3, gt.shape)
        size = float(rng.uniform(20, 80)) if box_size else None
        scores = rng.uniform(0, 1, num_keypoints)
        faces.append(sample(gt, pred, scores=scores, index=i, box_size=size))
    return faces


@pytest.mark.parametrize(
    'kwargs, meta, num_keypoints',
    [
        (dict(norm_mode='keypoint_distance', keypoint_indices=[0, 3]), TOY_META, K),
        (dict(norm_mode='keypoint_distance'), dict(dataset_name='wflw'), 98),  # [60, 72]
        (dict(norm_mode='use_norm_item', norm_item='bbox_size'), TOY_META, K),
        (dict(norm_mode='use_norm_item', norm_item='box_size'), TOY_META, K),
    ],
)
def test_nme_equals_mmposes_nme(rng, kwargs, meta, num_keypoints):
    faces = random_faces(rng, num_keypoints=num_keypoints, box_size=True)
    ours = run(FaceLandmarkMetric(**kwargs), faces, meta)['face/NME']
    theirs = run(NME(**kwargs), faces, meta)['NME']
    assert ours == pytest.approx(100 * theirs, rel=1e-5)


# --- bad input ---------------------------------------------------------------


@pytest.mark.parametrize(
    'kwargs, match',
    [
        (dict(norm_mode='keypoint_distance', keypoint_indices=[1]), 'two distinct keypoints'),
        (dict(norm_mode='keypoint_distance', keypoint_indices=[2, 2]), 'two distinct keypoints'),
        (dict(norm_mode='keypoint_distance', failure_threshold=0), 'failure_threshold must be'),
        (dict(norm_mode='keypoint_distance', failure_threshold=-0.1), 'failure_threshold'),
        (dict(norm_mode='keypoint_distance', calibration_threshold=0), 'calibration_threshold'),
        (dict(norm_mode='keypoint_distance', calibration_threshold=np.nan), 'calibration_thr'),
        (dict(norm_mode='keypoint_distance', num_bins=0), 'num_bins'),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        FaceLandmarkMetric(**kwargs)


@pytest.mark.parametrize(
    'kwargs, match',
    [
        (dict(norm_mode='interocular'), "norm_mode. should be 'use_norm_item' or"),
        (dict(norm_mode='use_norm_item'), 'specify the .norm_item.'),
    ],
)
def test_bad_normalisation_is_nmes_error(kwargs, match):
    """MMPose's NME checks its own arguments: the same KeyError as NME's."""
    with pytest.raises(KeyError, match=match):
        FaceLandmarkMetric(**kwargs)
    with pytest.raises(KeyError, match=match):
        NME(**kwargs)


def test_keypoint_count_mismatch_names_both_counts_and_stores_no_sample_of_the_batch():
    good = sample(square(10), square(10), index=3)
    bad = sample(square(10), square(10)[:3], index=4)
    metric = FaceLandmarkMetric(norm_mode='keypoint_distance', keypoint_indices=[0, 1])
    metric.process([], [good.to_dict()])
    with pytest.raises(ValueError, match=r'sample 2 \(id 4.*prediction has 3 keypoints but the '):
        metric.process([], [good.to_dict(), bad.to_dict()])
    assert len(metric.results) == 1  # the earlier batch kept, none of the bad one's


@pytest.mark.parametrize('box_size', [0.0, np.nan, np.inf])
def test_zero_or_non_finite_normaliser_names_the_face(box_size):
    faces = [sample(square(10), square(10), index=i, box_size=10) for i in range(3)]
    faces[1].gt_instances.box_size = np.array([box_size], np.float32)
    metric = FaceLandmarkMetric(norm_mode='use_norm_item', norm_item='box_size')
    with pytest.raises(ValueError, match=r"sample 1 \(id 1, img_path face1.jpg\).*'box_size'"):
        run(metric, faces)


def test_coincident_normalising_keypoints_name_the_face():
    gt = square(10)
    gt[1] = gt[0]
    faces = [sample(square(10), square(10), index=0), sample(gt, gt, index=1)]
    metric = FaceLandmarkMetric(norm_mode='keypoint_distance', keypoint_indices=[0, 1])
    with pytest.raises(ValueError, match=r'sample 1 .*normaliser .* is 0.0'):
        run(metric, faces)


def test_missing_norm_item_and_default_indices():
    metric = FaceLandmarkMetric(norm_mode='use_norm_item', norm_item='box_size')
    with pytest.raises(KeyError, match='no .box_size.'):
        metric.process([], [sample(square(10), square(10)).to_dict()])
    metric = FaceLandmarkMetric(norm_mode='keypoint_distance')
    with pytest.raises(ValueError, match='without keypoint_indices needs'):
        run(metric, [sample(square(10), square(10))])


def test_non_finite_scores_are_an_error():
    face = sample(square(10), square(10) + 0.5, scores=[0.5, 0.5, np.nan, 0.5], index=2)
    metric = FaceLandmarkMetric(norm_mode='keypoint_distance', keypoint_indices=[0, 1])
    with pytest.raises(ValueError, match=r'sample 0 \(id 2.*must be finite'):
        metric.process([], [face.to_dict()])
    assert metric.results == []  # nothing half-stored


@pytest.mark.parametrize('bad_score', [1.2, -0.1])
def test_scores_that_are_not_probabilities_get_no_calibration_figures(bad_score):
    """A Gaussian heatmap's maximum or a SimCC logit: NME and friends only,
    and the log says why (one such face is enough)."""
    scores = [0.5, 0.5, bad_score, 0.5]
    good = sample(square(10), square(10) + 0.5, scores=[0.5] * 4, index=1)
    face = sample(square(10), square(10) + 0.5, scores=scores, index=2)
    metric = FaceLandmarkMetric(norm_mode='keypoint_distance', keypoint_indices=[0, 1])
    got = run(metric, [good, face])
    assert 'face/NME' in got and 'face/ECE' not in got and 'face/AUROC/failed' not in got
    # read_scores=False reads no scores: NME and friends only
    metric = FaceLandmarkMetric(
        norm_mode='keypoint_distance', keypoint_indices=[0, 1], read_scores=False
    )
    got = run(metric, [face])
    assert 'face/NME' in got and 'face/ECE' not in got


def test_bad_attributes_are_an_error_and_store_nothing():
    metric = FaceLandmarkMetric(norm_mode='keypoint_distance', keypoint_indices=[0, 1])
    face = sample(square(10), square(10), attributes=['pose'])
    with pytest.raises(ValueError, match='attributes must be a dict of subset flags'):
        metric.process([], [face.to_dict()])
    assert metric.results == []


# --- helpers -------------------------------------------------------------------


def test_auroc_and_ece_helpers():
    # positives .9 .5, negatives .5 .1: pairs (.9, .5) (.9, .1) (.5, .1) won, (.5, .5) tied
    assert auroc(np.array([0.9, 0.5, 0.5, 0.1]), np.array([1, 1, 0, 0])) == 3.5 / 4
    assert auroc(np.array([0.3, 0.2]), np.array([1, 1])) is None
    # 2/15 opens bin 2 (were it in bin 1 with 0.1, that bin's gap would be 1 - 7/30);
    # 1.0 closes the last bin: |1 - 13/15| + |0 - 0.1| + |1 - 1|, over 3
    confidence = np.array([2 / 15, 0.1, 1.0])
    ece = expected_calibration_error(confidence, np.array([1, 0, 1]), 15)
    assert ece == pytest.approx((13 / 15 + 0.1) / 3)


# --- MMPose's and mmengine's machinery ------------------------------------------


def test_built_from_a_val_evaluator_config_with_mmposes_nme():
    cfg = [
        dict(type='NME', norm_mode='keypoint_distance', keypoint_indices=[0, 1]),
        dict(type='FaceLandmarkMetric', norm_mode='keypoint_distance', keypoint_indices=[0, 1]),
    ]
    assert isinstance(METRICS.build(cfg[1]), FaceLandmarkMetric)
    evaluator = Evaluator(cfg)
    evaluator.dataset_meta = TOY_META
    faces = five_faces()
    evaluator.process(faces[:2])
    evaluator.process(faces[2:])
    got = evaluator.evaluate(len(faces))
    assert got['NME'] == pytest.approx(0.064, rel=1e-5)
    assert got['face/NME'] == pytest.approx(6.4, rel=1e-5)
    assert got['face/AUROC/occluded'] == pytest.approx(0.75)
    # keys for CheckpointHook(save_best='face/NME', rule='less'), and a prefix of one's own
    metric = METRICS.build(dict(cfg[1], prefix='wflw'))
    assert 'wflw/FR@0.1' in run(metric, faces)


def write_wflw(tmp_path: Path, rng) -> tuple[Path, np.ndarray]:
    """Two WFLW test rows (attributes pose + occlusion, and blur), converted."""
    ann_dir, image_root = tmp_path / 'ann', tmp_path / 'WFLW_images'
    ann_dir.mkdir()
    rows, points = [], []
    for name, attrs in (('a/1.jpg', (1, 0, 0, 0, 1, 0)), ('a/2.jpg', (0, 0, 0, 0, 0, 1))):
        (image_root / name).parent.mkdir(parents=True, exist_ok=True)
        Image.new('RGB', (64, 48)).save(image_root / name)
        xy = rng.uniform(5, 40, (98, 2))
        points.append(xy)
        values = [*xy.ravel(), 2, 3, 45, 44, *attrs]
        rows.append(' '.join(f'{v:.3f}' for v in values) + f' {name}')
    for split in ('train', 'test'):
        (ann_dir / f'list_98pt_rect_attr_{split}.txt').write_text('\n'.join(rows) + '\n')
    convert_wflw(ann_dir, image_root, tmp_path / 'out')
    return tmp_path, np.round(np.stack(points), 3)


def test_wflw_converter_keeps_the_attribute_flags(tmp_path, rng):
    root, _ = write_wflw(tmp_path, rng)
    for protocol in ('p1', 'p2'):
        for name in ('test', 'train', 'test_blur'):
            doc = read_json(root / f'out/annotations/{protocol}/face_landmarks_wflw_{name}.json')
            flags = [ann['attributes'] for ann in doc['annotations']]
            first = dict.fromkeys(ATTRIBUTES, False) | dict(pose=True, occlusion=True)
            second = dict.fromkeys(ATTRIBUTES, False) | dict(blur=True)
            assert flags == ([second] if name == 'test_blur' else [first, second])


PIPELINE = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=(64, 64)),
    dict(type='PackPoseInputs'),
]


def evaluate_dataset(dataset, shifts) -> dict:
    """Predict each face as its ground truth shifted by ``shifts[i]`` pixels
    in x, and evaluate through mmengine's Evaluator."""
    evaluator = Evaluator(
        dict(type='FaceLandmarkMetric', norm_mode='keypoint_distance', read_scores=False)
    )
    evaluator.dataset_meta = dataset.metainfo
    samples = []
    for i, shift in enumerate(shifts):
        data_sample = dataset[i]['data_samples']
        pred = data_sample.gt_instances.keypoints + np.array([shift, 0], np.float32)
        data_sample.pred_instances = InstanceData(keypoints=pred)
        samples.append(data_sample)
    evaluator.process(samples)
    return evaluator.evaluate(len(samples))


def test_attributes_reach_the_metric_from_the_converter(tmp_path, rng):
    root, points = write_wflw(tmp_path, rng)
    kwargs = dict(
        data_root=str(root / 'out'),
        ann_file='annotations/p2/face_landmarks_wflw_test.json',
        data_prefix=dict(img=str(root / 'WFLW_images') + '/'),
        pipeline=PIPELINE,
        test_mode=True,
    )
    shifts = [0.5, 2.0]
    # the NME_i by hand: the shift over the distance of keypoints 60 and 72 (WFLW's default)
    nme = [s / np.linalg.norm(p[60] - p[72]) for s, p in zip(shifts, points)]

    stock = WFLWDataset(**kwargs)
    assert 'raw_ann_info' not in stock[0]['data_samples'].metainfo  # MMPose drops it
    got = evaluate_dataset(stock, shifts)
    assert got['face/NME'] == pytest.approx(100 * np.mean(nme), rel=1e-4)
    assert not [k for k in got if k.startswith('face/NME/')]

    dataset = FlaggedWFLWDataset(**kwargs)  # what the WFLW configs use
    meta = dataset[0]['data_samples'].metainfo
    assert meta['raw_ann_info']['attributes']['pose'] is True  # via PackPoseInputs' meta_keys
    got = evaluate_dataset(dataset, shifts)
    assert got['face/NME'] == pytest.approx(100 * np.mean(nme), rel=1e-4)
    assert got['face/NME/pose'] == pytest.approx(100 * nme[0], rel=1e-4)
    assert got['face/NME/occlusion'] == pytest.approx(100 * nme[0], rel=1e-4)
    assert got['face/NME/blur'] == pytest.approx(100 * nme[1], rel=1e-4)
    assert not {'face/NME/expression', 'face/NME/makeup', 'face/NME/illumination'} & set(got)
    # Training samples go without it: only the metric reads it.
    training = FlaggedWFLWDataset(**dict(kwargs, test_mode=False))
    assert 'raw_ann_info' not in training[0]['data_samples'].metainfo
