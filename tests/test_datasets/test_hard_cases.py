"""Hard cases in the generated faces: off by default (the plain faces are
unchanged), occluded landmarks flagged in the annotation and kept by
MMPose's loader."""

import cv2
import numpy as np
import pytest
from mmengine.registry import init_default_scope
from mmpose.datasets import Face300WDataset
from mmpose.datasets.transforms import PackPoseInputs

from rr_mmpose.datasets import (
    FlaggedFace300WDataset,
    face_annotation,
    generate_dataset,
    render_face,
)
from rr_mmpose.datasets.generate_faces import render_face_with_occlusion
from rr_mmpose.datasets.hard_cases import HardCases, apply_hard_cases, blur, occlude

from ..helpers import read_json


def flags(root, split='test') -> np.ndarray:
    doc = read_json(root / f'annotations/face_landmarks_300w_{split}.json')
    return np.array([np.reshape(a['keypoints'], (-1, 3)) for a in doc['annotations']])


@pytest.fixture(scope='module')
def plain_and_hard(tmp_path_factory):
    plain = tmp_path_factory.mktemp('plain')
    hard = tmp_path_factory.mktemp('hard')
    generate_dataset(plain, num_train=2, num_test=24, image_size=128, seed=0)
    generate_dataset(hard, num_train=2, num_test=24, image_size=128, seed=0, hard_cases=True)
    return plain, hard


def test_hard_cases_keep_the_faces_and_flag_occluded_landmarks(plain_and_hard):
    plain, hard = (flags(root) for root in plain_and_hard)
    np.testing.assert_array_equal(plain[..., :2], hard[..., :2])  # the same landmarks
    assert set(np.unique(plain[..., 2])) == {2.0}  # off by default: nothing flagged
    assert set(np.unique(hard[..., 2])) == {1.0, 2.0}
    assert 0.02 < (hard[..., 2] == 1).mean() < 0.5


def test_render_face_draws_the_same_face_as_before():
    image, keypoints = render_face(np.random.default_rng(7), 96)
    again, keypoints_again, occluded = render_face_with_occlusion(np.random.default_rng(7), 96)
    np.testing.assert_array_equal(image, again)
    np.testing.assert_array_equal(keypoints, keypoints_again)
    assert occluded.shape == (68,) and occluded.dtype == bool


def test_an_occluder_flags_exactly_the_landmarks_it_covers():
    rng = np.random.default_rng(0)
    image = np.full((128, 128, 3), 128, np.uint8)
    keypoints = rng.uniform(10, 118, (68, 2))
    cells = np.round(keypoints).astype(int)
    flagged, changed = [], []
    for _ in range(30):
        drawn, occluded = occlude(rng, image, keypoints, face_size=60.0)
        flagged.append(occluded)
        changed.append((drawn[cells[:, 1], cells[:, 0]] != 128).any(-1))
    flagged, changed = np.array(flagged), np.array(changed)
    assert flagged.sum() > 50
    # A flagged landmark lies under the occluder, so its pixel changed (the
    # fill may match the background grey by chance); an unflagged one is
    # untouched but for anti-aliased rims.
    assert changed[flagged].mean() > 0.95
    assert changed[~flagged].mean() < 0.05


def sharpness(image: np.ndarray) -> float:
    """Variance of the Laplacian of the grey image: falls as it blurs."""
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def test_blur_and_low_light_keep_the_image_shape_blur_and_darken():
    rng = np.random.default_rng(1)
    image, keypoints = render_face(rng, 96)
    cases = HardCases(occluder_prob=0, blur_prob=1, low_light_prob=1)
    hard, occluded = apply_hard_cases(rng, image, keypoints, cases)
    assert hard.shape == image.shape and hard.dtype == np.uint8 and not occluded.any()
    assert hard.mean() < 0.6 * image.mean()
    for seed in range(5):  # each blur, Gaussian or motion, loses detail
        blurred = blur(np.random.default_rng(seed), image)
        assert blurred.shape == image.shape and sharpness(blurred) < 0.5 * sharpness(image)


def test_the_flagged_loader_keeps_the_flags(plain_and_hard):
    """FlaggedFace300WDataset: keypoints_visible collapsed as MMPose's
    Face300WDataset does (all 1), and the flags in raw_ann_info, which
    PackPoseInputs passes on into the data sample."""
    init_default_scope('mmpose')
    _, hard = plain_and_hard
    dataset = FlaggedFace300WDataset(
        data_root=str(hard),
        ann_file='annotations/face_landmarks_300w_test.json',
        data_prefix=dict(img='images/'),
        test_mode=True,
        pipeline=[],
    )
    expected = flags(hard)
    for index in range(len(dataset)):
        sample = dataset[index]
        assert (sample['keypoints_visible'] == 1).all()
        raw = np.reshape(sample['raw_ann_info']['keypoints'], (-1, 3))[:, 2]
        np.testing.assert_array_equal(raw, expected[index, :, 2])
    packed = PackPoseInputs()(dict(dataset[0], img=np.zeros((8, 8, 3), np.uint8)))
    meta = packed['data_samples'].metainfo
    np.testing.assert_array_equal(np.reshape(meta['raw_ann_info']['keypoints'], (-1, 3))[:, 2],
                                  expected[0, :, 2])  # fmt: skip
    assert (
        'raw_ann_info'
        not in Face300WDataset(
            data_root=str(hard),
            ann_file='annotations/face_landmarks_300w_test.json',
            data_prefix=dict(img='images/'),
            test_mode=True,
        )[0]
    )  # why the flagged dataset exists


def test_visibility_flags_must_be_one_or_two():
    keypoints = np.random.default_rng(0).uniform(0, 50, (5, 2))
    with pytest.raises(ValueError, match='visibility must be 5 flags of 1'):
        face_annotation(0, 0, keypoints, (0, 0, 60, 60), visibility=[2, 2, 0, 2, 2])
    with pytest.raises(ValueError, match='visibility must be 5 flags'):
        face_annotation(0, 0, keypoints, (0, 0, 60, 60), visibility=[2, 2])
    ann = face_annotation(0, 0, keypoints, (0, 0, 60, 60), visibility=[2, 1, 2, 2, 1])
    assert np.reshape(ann['keypoints'], (-1, 3))[:, 2].tolist() == [2, 1, 2, 2, 1]
