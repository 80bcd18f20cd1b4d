import numpy as np
import pytest
from mmpose.datasets.datasets.utils import parse_pose_metainfo

from rr_mmpose.datasets import generate_dataset, generated_faces, render_face
from rr_mmpose.datasets.face_template import FLIP_INDICES, Expression, face_points_3d
from rr_mmpose.datasets.generate_faces import main as generate_main
from rr_mmpose.datasets.hard_cases import HardCases

from ..helpers import read_json


def test_flip_pairs_match_the_300w_metainfo():
    meta = parse_pose_metainfo(dict(from_file='configs/_base_/datasets/300w.py'))
    np.testing.assert_array_equal(FLIP_INDICES, meta['flip_indices'])


def test_template_is_mirror_symmetric_under_the_flip_pairs(rng):
    for _ in range(5):
        expr = Expression(**{k: rng.uniform(-1, 1) for k in Expression.__dataclass_fields__})
        points = face_points_3d(expr)
        np.testing.assert_allclose(points[FLIP_INDICES] * [-1, 1, 1], points, atol=1e-12)


def test_rendering_is_deterministic_and_landmarks_stay_inside():
    for seed in range(20):
        image, keypoints = render_face(np.random.default_rng(seed), 128)
        again, keypoints_again = render_face(np.random.default_rng(seed), 128)
        np.testing.assert_array_equal(image, again)
        np.testing.assert_array_equal(keypoints, keypoints_again)
        assert image.shape == (128, 128, 3) and image.dtype == np.uint8
        assert keypoints.shape == (68, 2)
        assert (keypoints >= 0).all() and (keypoints <= 127).all()
        # Continuous, sub-pixel landmarks, not pixel centres.
        assert np.abs(keypoints - np.round(keypoints)).mean() > 0.1


def test_generated_dataset_layout_and_determinism(tiny_faces, tmp_path):
    doc = read_json(tiny_faces / 'annotations' / 'face_landmarks_300w_test.json')
    assert len(doc['images']) == 8 and len(doc['annotations']) == 8
    ann = doc['annotations'][0]
    assert ann['num_keypoints'] == 68 and len(ann['keypoints']) == 68 * 3
    assert (tiny_faces / 'images' / doc['images'][0]['file_name']).is_file()
    # The test split does not depend on the size of the train split.
    generate_dataset(tmp_path, num_train=3, num_test=8, image_size=128, seed=0)
    again = read_json(tmp_path / 'annotations' / 'face_landmarks_300w_test.json')
    assert again['annotations'] == doc['annotations']


def test_generated_faces_are_written_once_and_finished_if_cut_short(tmp_path):
    """``generated_faces`` writes the dataset on first use, leaves a whole one
    alone, and rewrites one cut short (its test annotation, written last, is
    missing)."""
    options = dict(num_train=2, num_test=2, image_size=64)
    root = generated_faces(tmp_path / 'faces', **options)
    test_json = root / 'annotations' / 'face_landmarks_300w_test.json'
    written = test_json.stat().st_mtime_ns
    image = root / 'images' / 'test' / '00000.jpg'
    image.unlink()  # a whole dataset is not looked into again
    assert generated_faces(root, **options) == root and test_json.stat().st_mtime_ns == written
    assert not image.exists()
    test_json.unlink()  # cut short: the whole dataset is written again
    generated_faces(root, **options)
    assert image.is_file() and read_json(test_json)['annotations']


def test_generated_faces_refuse_other_options_for_a_folder_made_with_others(tmp_path):
    """A folder made with some options is not silently reused for others:
    a clear error names what differs, and the folder is left as it was."""
    root = generated_faces(tmp_path / 'faces', num_train=2, num_test=2, image_size=64)
    before = sorted((p, p.stat().st_mtime_ns) for p in root.rglob('*'))
    for options, named in (
        (dict(num_train=3, num_test=2, image_size=64), 'num_train 2 .asked: 3.'),
        (dict(num_train=2, num_test=2, image_size=128), 'image_size 64 .asked: 128.'),
        (dict(num_train=2, num_test=2, image_size=64, seed=1), 'seed 0 .asked: 1.'),
        (dict(num_train=2, num_test=2, image_size=64, hard_cases=True), 'hard_cases False'),
    ):
        with pytest.raises(ValueError, match=f'made with other options: {named}'):
            generated_faces(root, **options)
    assert sorted((p, p.stat().st_mtime_ns) for p in root.rglob('*')) == before


def test_generated_faces_refuse_other_hard_case_settings(tmp_path):
    """Hard cases are told apart by their settings, not only by being on."""
    options = dict(num_train=2, num_test=2, image_size=64)
    root = generated_faces(tmp_path / 'faces', **options, hard_cases=True)
    assert generated_faces(root, **options, hard_cases=HardCases()) == root  # the defaults
    before = sorted((p, p.stat().st_mtime_ns) for p in root.rglob('*'))
    for other in (HardCases(blur_prob=0.9), False):
        named = r'asked: False' if other is False else r"asked: \{.*'blur_prob': 0\.9"
        with pytest.raises(ValueError, match=f'made with other options: hard_cases .*{named}'):
            generated_faces(root, **options, hard_cases=other)
    assert sorted((p, p.stat().st_mtime_ns) for p in root.rglob('*')) == before


def test_the_command_reuses_its_folder_and_refuses_other_options_clearly(tmp_path, capsys):
    """``python -m rr_mmpose.datasets.generate_faces``: a second run with the
    same options leaves the folder alone; other options (hard cases into the
    demo's folder, say) stop with what differs, and nothing is rewritten."""
    root = tmp_path / 'faces'
    size = ['--num-train', '2', '--num-test', '2', '--image-size', '64']
    generate_main([str(root), *size])
    assert capsys.readouterr().out.splitlines()[-1].endswith('face_landmarks_300w_test.json')
    before = sorted((p, p.stat().st_mtime_ns) for p in root.rglob('*'))
    generate_main([str(root), *size])
    with pytest.raises(SystemExit, match='made with other options: hard_cases False'):
        generate_main([str(root), *size, '--hard-cases'])
    assert sorted((p, p.stat().st_mtime_ns) for p in root.rglob('*')) == before
