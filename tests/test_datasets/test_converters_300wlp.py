"""The 300W-LP family converter on tiny generated .mat and .t7 files, the
sqrt(w * h) normaliser through MMPose's NME, and every malformed input
refused with the file named and nothing written."""

import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy.io import savemat

from rr_mmpose.datasets.converters import ConversionError, convert_300wlp
from rr_mmpose.datasets.converters.face300wlp import main

from ..helpers import read_json


def write_image(path: Path, size=(120, 100)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new('RGB', size).save(path)


def t7_bytes(array: np.ndarray) -> bytes:
    """A Torch7 binary file holding one DoubleTensor (what LS3D-W ships)."""
    a = np.ascontiguousarray(array, dtype=np.float64)

    def string(s: str) -> bytes:
        return struct.pack('<i', len(s)) + s.encode()

    def torch_object(index: int, class_name: str) -> bytes:
        return struct.pack('<ii', 4, index) + string('V 1') + string(class_name)

    out = torch_object(1, 'torch.DoubleTensor') + struct.pack('<i', a.ndim)
    out += struct.pack(f'<{a.ndim}q', *a.shape)
    out += struct.pack(f'<{a.ndim}q', *(s // 8 for s in a.strides)) + struct.pack('<q', 1)
    return out + torch_object(2, 'torch.DoubleStorage') + struct.pack('<q', a.size) + a.tobytes()


def points(rng) -> np.ndarray:
    return rng.uniform(10, 90, (68, 2))


@pytest.fixture
def sources(tmp_path, rng):
    """One face per 300W-LP subset, two AFLW2000-3D faces, two LS3D-W faces;
    returns the roots and the 0-based points written for each image."""
    lp, aflw, ls3dw = tmp_path / '300W_LP', tmp_path / 'AFLW2000', tmp_path / 'LS3D-W'
    truth = {}
    for subset in ('AFW', 'HELEN', 'IBUG', 'LFPW'):
        name = f'{subset}_1_0'
        write_image(lp / subset / f'{name}.jpg')
        write_image(lp / f'{subset}_Flip' / f'{name}.jpg')  # mirrored copies: left out
        p = points(rng)
        (lp / 'landmarks' / subset).mkdir(parents=True)
        savemat(lp / 'landmarks' / subset / f'{name}_pts.mat', {'pts_3d': p + 1, 'pts_2d': p})
        truth[f'300W_LP/{subset}/{name}.jpg'] = p
    for name in ('image00002', 'image00004'):
        write_image(aflw / f'{name}.jpg')
        p = points(rng)
        pt3d = np.concatenate([p.T + 1, rng.uniform(0, 50, (1, 68))])  # 3 x 68: x, y, z
        savemat(aflw / f'{name}.mat', {'pt3d_68': pt3d, 'pt2d': p.T[:, :21]})
        truth[f'AFLW2000/{name}.jpg'] = p
    for i in (2, 10):  # numeric order, not text order
        write_image(ls3dw / 'new_dataset' / f'{i}.jpg')
        p = points(rng)
        (ls3dw / 'new_dataset' / f'{i}.t7').write_bytes(t7_bytes(p))
        truth[f'LS3D-W/new_dataset/{i}.jpg'] = p
    return lp, aflw, ls3dw, truth, tmp_path / 'out'


def no_annotations_written(out_dir: Path) -> bool:
    return not list(Path(out_dir).rglob('*.json')) and not list(Path(out_dir).rglob('*.tmp'))


def test_converts_the_three_sources(sources):
    lp, aflw, ls3dw, truth, out = sources
    written = convert_300wlp(lp, out, aflw, ls3dw)
    assert len(written) == 6
    for name, count in (('300wlp_train', 4), ('aflw2000_test', 2), ('ls3dw_test', 2)):
        p1 = read_json(out / f'annotations/p1/face_landmarks_{name}.json')
        p2 = read_json(out / f'annotations/p2/face_landmarks_{name}.json')
        assert len(p2['images']) == count
        assert p1['annotations'] == p2['annotations']  # both protocols: the landmark box
        for image, ann in zip(p2['images'], p2['annotations'], strict=True):
            expected = truth[image['file_name']]
            kpts = np.array(ann['keypoints']).reshape(68, 3)[:, :2]
            np.testing.assert_allclose(kpts, expected, atol=1e-4)  # .mat: shifted to 0-based
            w, h = expected.max(0) - expected.min(0)
            assert ann['box_size'] == pytest.approx(np.sqrt(w * h), abs=1e-3)
            assert ann['bbox'] == pytest.approx([*expected.min(0), w, h], abs=1e-3)
    ls3dw_doc = read_json(out / 'annotations/p2/face_landmarks_ls3dw_test.json')
    names = [im['file_name'] for im in ls3dw_doc['images']]
    assert names == ['LS3D-W/new_dataset/2.jpg', 'LS3D-W/new_dataset/10.jpg']


def test_cli_and_the_2d_key(sources, capsys):
    lp, _, _, truth, out = sources
    main([str(out), '--300w-lp', str(lp), '--key', 'pts_2d'])
    doc = read_json(out / 'annotations/p2/face_landmarks_300wlp_train.json')
    kpts = np.array(doc['annotations'][0]['keypoints']).reshape(68, 3)[:, :2]
    # pts_2d was written 0-based here, so the 1-based shift shows as -1.
    np.testing.assert_allclose(kpts, truth[doc['images'][0]['file_name']] - 1, atol=1e-4)
    assert '300wlp_train: 4 faces' in capsys.readouterr().out


def corrupt_mat(path: Path) -> None:
    path.write_bytes(b'MATLAB 5.0 MAT-file, but cut short')


@pytest.mark.parametrize(
    'damage, match',
    [
        (lambda lp, a, ls: corrupt_mat(a / 'image00004.mat'), r'image00004.mat: unreadable .mat'),
        (
            lambda lp, a, ls: savemat(a / 'image00004.mat', {'pt2d': np.zeros((2, 21))}),
            r"image00004.mat: no 'pt3d_68' in the .mat file \(it holds \['pt2d'\]\)",
        ),
        (
            lambda lp, a, ls: savemat(a / 'image00004.mat', {'pt3d_68': np.zeros((3, 21))}),
            r"image00004.mat: 'pt3d_68' must hold 68 points .* got \(3, 21\)",
        ),
        (
            lambda lp, a, ls: savemat(a / 'image00004.mat', {'pt3d_68': np.full((3, 68), np.nan)}),
            r"image00004.mat: 'pt3d_68' has NaN or infinite",
        ),
        (lambda lp, a, ls: (a / 'image00004.mat').unlink(), r'image00004.mat: missing landmark'),
        (
            lambda lp, a, ls: (lp / 'landmarks/IBUG/IBUG_1_0_pts.mat').unlink(),
            r'IBUG_1_0_pts.mat: missing landmark file',
        ),
        (
            lambda lp, a, ls: savemat(
                lp / 'landmarks/AFW/AFW_1_0_pts.mat', {'pts_3d': np.ones((68, 2))}
            ),
            r'AFW_1_0_pts.mat: the landmarks span an empty box',
        ),
        (
            lambda lp, a, ls: (ls / 'new_dataset/10.t7').write_bytes(b'\x04\x00'),
            r'10.t7: unreadable',
        ),
        (
            lambda lp, a, ls: (ls / 'new_dataset/10.t7').write_bytes(t7_bytes(np.zeros((5, 2)))),
            r'10.t7: the tensor must hold 68 points',
        ),
        (lambda lp, a, ls: (ls / 'new_dataset/2.t7').unlink(), r'2.t7: missing landmark file'),
        (
            lambda lp, a, ls: (lp / 'HELEN/HELEN_1_0.jpg').write_bytes(b'not a jpeg'),
            r'HELEN_1_0_pts.mat: unreadable image',
        ),
    ],
)
def test_malformed_input_names_the_file_and_writes_nothing(sources, damage, match):
    lp, aflw, ls3dw, _, out = sources
    damage(lp, aflw, ls3dw)
    with pytest.raises(ConversionError, match=match):
        convert_300wlp(lp, out, aflw, ls3dw)
    assert no_annotations_written(out)


def test_missing_folders_and_no_source(sources, tmp_path):
    lp, aflw, _, _, out = sources
    with pytest.raises(ConversionError, match='LFPW: missing image folder'):
        (lp / 'LFPW' / 'LFPW_1_0.jpg').unlink()
        (lp / 'LFPW').rmdir()
        convert_300wlp(lp, out, aflw)
    empty = tmp_path / 'empty'
    empty.mkdir()
    with pytest.raises(ConversionError, match='empty: no images found'):
        convert_300wlp(None, out, empty)
    with pytest.raises(ValueError, match='at least one'):
        convert_300wlp(None, out)
    assert no_annotations_written(out)


def test_box_size_reaches_mmposes_nme(sources, tmp_path):
    """FaceLandmarkBoxDataset hands each face's sqrt(w * h) to MMPose's NME
    (norm_item='box_size'): a prediction off by (3, 4) px scores 5 / box_size."""
    from mmengine.registry import init_default_scope
    from mmpose.evaluation import NME
    from mmpose.registry import DATASETS

    lp, aflw, _, truth, out = sources
    convert_300wlp(None, out, aflw)
    (out / 'images').mkdir()
    (out / 'images' / 'AFLW2000').symlink_to(aflw)
    init_default_scope('mmpose')
    dataset = DATASETS.build(
        dict(
            type='FaceLandmarkBoxDataset',
            data_root=str(out),
            ann_file='annotations/p2/face_landmarks_aflw2000_test.json',
            data_prefix=dict(img='images/'),
            test_mode=True,
            pipeline=[
                dict(type='LoadImage'),
                dict(type='GetBBoxCenterScale'),
                dict(type='TopdownAffine', input_size=(64, 64)),
                dict(type='PackPoseInputs'),
            ],
        )
    )
    metric = NME(norm_mode='use_norm_item', norm_item='box_size')
    metric.dataset_meta = dataset.metainfo
    expected = []
    for i in range(len(dataset)):
        sample = dataset[i]['data_samples']
        gt = sample.gt_instances
        prediction = dict(
            gt_instances=gt.to_dict(),
            pred_instances=dict(keypoints=gt.keypoints + np.array([3.0, 4.0], np.float32)),
        )
        metric.process([], [prediction])
        expected.append(5 / float(gt.box_size[0]))
        p = truth[Path(sample.img_path).relative_to(out / 'images').as_posix()]
        w, h = p.max(0) - p.min(0)
        assert float(gt.box_size[0]) == pytest.approx(np.sqrt(w * h), abs=1e-3)
    assert metric.compute_metrics(metric.results)['NME'] == pytest.approx(np.mean(expected))


def test_test_mode_needs_box_size(tmp_path):
    import json

    from mmengine.registry import init_default_scope
    from mmpose.registry import DATASETS

    from rr_mmpose.datasets import face_annotation

    ann = face_annotation(0, 0, np.random.default_rng(0).uniform(5, 50, (68, 2)), (1, 1, 60, 60))
    document = dict(
        images=[dict(id=0, file_name='a.jpg', width=64, height=64)],
        annotations=[ann],
        categories=[dict(id=1, name='person')],
    )
    (tmp_path / 'a.json').write_text(json.dumps(document))
    init_default_scope('mmpose')
    with pytest.raises(KeyError, match='no "box_size"'):
        DATASETS.build(
            dict(type='FaceLandmarkBoxDataset', ann_file=str(tmp_path / 'a.json'), test_mode=True)
        )
    train = DATASETS.build(dict(type='FaceLandmarkBoxDataset', ann_file=str(tmp_path / 'a.json')))
    assert 'box_size' not in train[0] and len(train) == 1
