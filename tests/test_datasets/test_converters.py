"""Converters on small fixtures in each dataset's original format."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from rr_mmpose.datasets.converters import (
    ConversionError,
    convert_300w,
    convert_lapa,
    convert_wflw,
)
from rr_mmpose.datasets.converters.lapa import main as lapa_main
from rr_mmpose.datasets.converters.wflw import ATTRIBUTES

from ..helpers import read_json


def write_image(path: Path, size=(64, 48)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new('RGB', size).save(path)


def no_annotations_written(out_dir: Path) -> bool:
    return not list(Path(out_dir).rglob('*.json')) and not list(Path(out_dir).rglob('*.tmp'))


# --- WFLW -------------------------------------------------------------------


def wflw_row(rng, image='a/1.jpg', attrs=(1, 0, 0, 0, 1, 0)) -> str:
    points = rng.uniform(5, 40, 196)
    values = [*points, 2, 3, 45, 44, *attrs]
    return ' '.join(f'{v:.3f}' for v in values) + f' {image}'


@pytest.fixture
def wflw(tmp_path, rng):
    ann_dir, image_root = tmp_path / 'ann', tmp_path / 'WFLW_images'
    ann_dir.mkdir()
    write_image(image_root / 'a/1.jpg')
    write_image(image_root / 'a/2.jpg')
    (ann_dir / 'list_98pt_rect_attr_train.txt').write_text(wflw_row(rng) + '\n')
    (ann_dir / 'list_98pt_rect_attr_test.txt').write_text(
        wflw_row(rng) + '\n' + wflw_row(rng, 'a/2.jpg', (0, 0, 0, 0, 0, 1)) + '\n'
    )
    return ann_dir, image_root, tmp_path / 'out'


def test_wflw_converts_boxes_and_subsets(wflw):
    ann_dir, image_root, out = wflw
    written = convert_wflw(ann_dir, image_root, out)
    assert len(written) == 2 * (2 + len(ATTRIBUTES))
    p1 = read_json(out / 'annotations/p1/face_landmarks_wflw_test.json')
    p2 = read_json(out / 'annotations/p2/face_landmarks_wflw_test.json')
    assert [im['file_name'] for im in p1['images']] == ['a/1.jpg', 'a/2.jpg']
    assert p1['images'][0]['width'] == 64 and p1['images'][0]['height'] == 48
    ann1, ann2 = p1['annotations'][0], p2['annotations'][0]
    kpts = np.array(ann1['keypoints']).reshape(98, 3)
    assert ann1['keypoints'] == ann2['keypoints']
    assert ann1['bbox'][:2] == pytest.approx(kpts[:, :2].min(0).tolist(), abs=1e-3)  # P1: tight
    assert ann2['bbox'] == pytest.approx([2, 3, 43, 41])  # P2: WFLW's own box
    assert ann2['scale'] == pytest.approx(43 / 200) and ann2['center'] == [23.5, 23.5]
    pose = read_json(out / 'annotations/p2/face_landmarks_wflw_test_pose.json')
    blur = read_json(out / 'annotations/p2/face_landmarks_wflw_test_blur.json')
    assert [im['file_name'] for im in pose['images']] == ['a/1.jpg']
    assert [im['file_name'] for im in blur['images']] == ['a/2.jpg']


@pytest.mark.parametrize(
    'corrupt, match',
    [
        (lambda row: row.rsplit(' ', 2)[0] + ' a/1.jpg', r'test.txt:2: expected 207 columns'),
        (lambda row: 'x' + row[row.index(' ') :], r'test.txt:2: non-numeric value'),
        (lambda row: row.replace('a/2.jpg', 'a/missing.jpg'), r'test.txt:2: missing image'),
        (lambda row: 'nan' + row[row.index(' ') :], r'test.txt:2: NaN or infinite'),
    ],
)
def test_wflw_malformed_rows_name_file_and_line(wflw, corrupt, match):
    ann_dir, image_root, out = wflw
    test_list = ann_dir / 'list_98pt_rect_attr_test.txt'
    first, second = test_list.read_text().splitlines()
    test_list.write_text(first + '\n' + corrupt(second) + '\n')
    with pytest.raises(ConversionError, match=match):
        convert_wflw(ann_dir, image_root, out)
    assert no_annotations_written(out)


def test_wflw_existing_outputs_survive_a_failed_run(wflw):
    ann_dir, image_root, out = wflw
    convert_wflw(ann_dir, image_root, out)
    before = (out / 'annotations/p1/face_landmarks_wflw_train.json').read_bytes()
    (ann_dir / 'list_98pt_rect_attr_test.txt').write_text('1 2 3\n')
    with pytest.raises(ConversionError):
        convert_wflw(ann_dir, image_root, out)
    assert (out / 'annotations/p1/face_landmarks_wflw_train.json').read_bytes() == before
    assert not list(out.rglob('*.tmp'))


# --- LaPa -------------------------------------------------------------------


def write_lapa_sample(root: Path, split: str, name: str, rng, count=106, box=True) -> None:
    write_image(root / split / 'images' / f'{name}.jpg')
    points = rng.uniform(5, 40, (count, 2))
    lines = [str(count)] + [f'{x:.2f} {y:.2f}' for x, y in points]
    (root / split / 'landmarks').mkdir(parents=True, exist_ok=True)
    (root / split / 'landmarks' / f'{name}.txt').write_text('\n'.join(lines) + '\n')
    if box:
        (root / split / 'bbox').mkdir(parents=True, exist_ok=True)
        (root / split / 'bbox' / f'{name}.txt').write_text('1 2 50 40\n')


@pytest.fixture
def lapa(tmp_path, rng):
    root = tmp_path / 'LaPa'
    for split in ('train', 'val', 'test'):
        write_lapa_sample(root, split, 'a', rng)
        write_lapa_sample(root, split, 'b', rng, box=False)
    return root, tmp_path / 'out'


def test_lapa_p2_uses_box_files_and_falls_back(lapa):
    root, out = lapa
    convert_lapa(root, out)
    p2 = read_json(out / 'annotations/p2/lapa_test.json')
    assert [im['file_name'] for im in p2['images']] == ['test/images/a.jpg', 'test/images/b.jpg']
    assert p2['annotations'][0]['bbox'] == [1, 2, 49, 38]
    assert p2['info']['p2_fallbacks'] == 1
    p1 = read_json(out / 'annotations/p1/lapa_test.json')
    assert p1['annotations'][1]['bbox'] == p2['annotations'][1]['bbox']  # fallback = P1


def test_the_command_prints_what_it_wrote_or_one_clear_line(lapa, capsys):
    """The command line: each file written, or, for a wrong folder, the
    error's one line instead of a traceback, and nothing written."""
    root, out = lapa
    lapa_main([str(root), str(out)])
    printed = capsys.readouterr().out.splitlines()
    assert printed[-1] == str(out / 'annotations' / 'p2' / 'lapa_test.json')
    assert 'P2 box from file for 1, landmark box for 1' in printed[0]
    wrong = root.parent / 'LaPa_typo'
    with pytest.raises(SystemExit, match='missing LaPa image folder; nothing written') as stop:
        lapa_main([str(wrong), str(root.parent / 'out2')])
    assert str(stop.value).startswith(f'error: {wrong}/train/images')
    assert not (root.parent / 'out2').exists()


def test_lapa_p2_takes_the_first_box_of_a_file_as_h3r_does(lapa):
    """H3R's test_lapa.py: ``load_from_txt(bbox_file, 0)[0]``, the first line."""
    root, out = lapa
    (root / 'test' / 'bbox' / 'a.txt').write_text('3 4 30 44\n1 2 50 40\n')
    convert_lapa(root, out)
    p2 = read_json(out / 'annotations/p2/lapa_test.json')
    assert p2['annotations'][0]['bbox'] == [3, 4, 27, 40]


@pytest.mark.parametrize(
    'content, match',
    [
        ('105\n' + '1 2\n' * 105, r'expected 106 points, header says 105'),
        ('106\n' + '1 2\n' * 105, r'header says 106, file has 105'),
        ('106\n' + '1 2\n' * 105 + '1 z\n', r'a.txt:107: non-numeric value'),
        ('106\n' + '1 2 3\n' * 106, r'a.txt:2: expected "x y"'),
    ],
)
def test_lapa_malformed_landmarks(lapa, content, match):
    root, out = lapa
    (root / 'val' / 'landmarks' / 'a.txt').write_text(content)
    with pytest.raises(ConversionError, match=match):
        convert_lapa(root, out)
    assert no_annotations_written(out)


def test_lapa_missing_landmark_file(lapa):
    root, out = lapa
    (root / 'test' / 'landmarks' / 'b.txt').unlink()
    with pytest.raises(ConversionError, match=r'b.txt: missing landmarks for b.jpg'):
        convert_lapa(root, out)
    assert no_annotations_written(out)


# --- 300W -------------------------------------------------------------------


def pts_text(points) -> str:
    rows = '\n'.join(f'{x:.3f} {y:.3f}' for x, y in points)
    return f'version: 1\nn_points:  {len(points)}\n{{\n{rows}\n}}\n'


@pytest.fixture
def w300(tmp_path, rng):
    root = tmp_path / '300W'
    for folder in (
        'lfpw/trainset',
        'helen/trainset',
        'afw',
        'lfpw/testset',
        'helen/testset',
        'ibug',
    ):
        write_image(root / folder / 'img1.png')
        (root / folder / 'img1.pts').write_text(pts_text(rng.uniform(5, 40, (68, 2))))
    private = tmp_path / '300W_test'
    for folder in ('01_Indoor', '02_Outdoor'):
        write_image(private / folder / 'p_001.png')
        (private / folder / 'p_001.pts').write_text(pts_text(rng.uniform(5, 40, (68, 2))))
    return root, private, tmp_path / 'out'


def test_300w_splits_and_one_based_coordinates(w300):
    root, private, out = w300
    (root / 'ibug' / 'img1.pts').write_text(pts_text([[1.0, 1.0]] * 67 + [[11.5, 21.25]]))
    convert_300w(root, out, private_root=private)
    sizes = {
        s: len(read_json(out / f'annotations/p1/face_landmarks_300w_{s}.json')['images'])
        for s in ('train', 'test_common', 'test_challenging', 'test_full', 'test_private')
    }
    assert sizes == dict(train=3, test_common=2, test_challenging=1, test_full=3, test_private=2)
    ibug = read_json(out / 'annotations/p2/face_landmarks_300w_test_challenging.json')
    kpts = np.array(ibug['annotations'][0]['keypoints']).reshape(68, 3)
    np.testing.assert_allclose(kpts[0, :2], [0, 0])  # 1-based -> 0-based
    np.testing.assert_allclose(kpts[67, :2], [10.5, 20.25])
    # H3R's examples/test_300w.py (52a8bde): P1 is the box of `landmark - 1`,
    # P2 `torch.cat([landmark.min(0)[0], landmark.max(0)[0]])` of the
    # file's values, as they are: (1, 1) to (11.5, 21.25) here.
    assert ibug['annotations'][0]['bbox'] == [1, 1, 10.5, 20.25]
    p1 = read_json(out / 'annotations/p1/face_landmarks_300w_test_challenging.json')
    assert p1['annotations'][0]['bbox'] == [0, 0, 10.5, 20.25]
    assert ibug['info']['p2_fallbacks'] == 0
    private_doc = read_json(out / 'annotations/p1/face_landmarks_300w_test_private.json')
    assert private_doc['images'][0]['file_name'] == '300W_private/01_Indoor/p_001.png'


@pytest.mark.parametrize(
    'content, match',
    [
        (pts_text(np.ones((67, 2))), r'expected 68 points, header says 67'),
        (pts_text(np.ones((68, 2))).replace('{', '['), r'enclosed in "\{" and "\}"'),
        (
            'version: 1\nn_points: 68\n{\n' + '1 2\n' * 67 + '}\n',
            r'header says 68 points, file has 67',
        ),
        (pts_text(np.ones((68, 2))).replace('1.000 1.000', '1.0 x', 1), r'img1.pts:4: non-numeric'),
        ('version: 1\n{\n}\n', r'missing or invalid "n_points:"'),
    ],
)
def test_300w_malformed_pts(w300, content, match):
    root, _, out = w300
    (root / 'afw' / 'img1.pts').write_text(content)
    with pytest.raises(ConversionError, match=match):
        convert_300w(root, out)
    assert no_annotations_written(out)


def test_300w_missing_image_folder(w300):
    root, _, out = w300
    import shutil

    shutil.rmtree(root / 'ibug')
    with pytest.raises(ConversionError, match=r'ibug: missing 300W folder'):
        convert_300w(root, out)
    assert no_annotations_written(out)
