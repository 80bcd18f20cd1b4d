"""The COCO-style writer shared by the converters and the generator."""

import json

import numpy as np
import pytest

from rr_mmpose.datasets import face_annotation, write_json_atomic


def test_face_annotation_layout():
    ann = face_annotation(3, 7, np.array([[1.0, 2.0], [5.0, 10.0]]), [0, 0, 20, 10])
    assert ann['keypoints'] == [1.0, 2.0, 2.0, 5.0, 10.0, 2.0]
    assert ann['bbox'] == [0, 0, 20, 10] and ann['center'] == [10, 5]
    assert ann['scale'] == pytest.approx(20 / 200) and ann['num_keypoints'] == 2


@pytest.mark.parametrize(
    'keypoints, box, match',
    [
        ([[np.nan, 1.0]], [0, 0, 5, 5], 'NaN or infinite'),
        ([[1.0, 1.0, 1.0]], [0, 0, 5, 5], r'shape \(K, 2\)'),
        ([[1.0, 1.0]], [5, 0, 5, 5], 'invalid face box'),
        ([[1.0, 1.0]], [0, 0, np.inf, 5], 'invalid face box'),
    ],
)
def test_face_annotation_rejects_bad_input(keypoints, box, match):
    with pytest.raises(ValueError, match=match):
        face_annotation(0, 0, np.array(keypoints), box)


def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / 'ann' / 'a.json'
    write_json_atomic({'ok': 1}, path)
    with pytest.raises(TypeError):
        write_json_atomic({'bad': object()}, path)
    assert json.loads(path.read_text()) == {'ok': 1}
    assert [p.name for p in path.parent.iterdir()] == ['a.json']
