"""300W-LP (training) and its test sets AFLW2000-3D and LS3D-W, as H3R's
``300wlp/pts3d`` models use them: 68 points in 300W's layout.

- 300W-LP: images ``<SUBSET>/<name>.jpg`` for the subsets AFW, HELEN, IBUG
  and LFPW, landmarks ``landmarks/<SUBSET>/<name>_pts.mat`` (key ``pts_3d``,
  68 x 2: the 3D-fitted points H3R's ``pts3d`` models are named after;
  ``pts_2d`` on request). The ``*_Flip`` folders are mirrored copies of the
  same faces, left out as MMPose's converter does (``RandomFlip`` mirrors
  in training).
- AFLW2000-3D: ``<name>.jpg`` with ``<name>.mat``, key ``pt3d_68`` (3 x 68:
  x, y, z rows), read as H3R's ``examples/test_aflw2000.py`` does.
- LS3D-W (balanced): ``new_dataset/<i>.jpg`` with ``new_dataset/<i>.t7``
  (68 x 2), read with ``torchfile`` as H3R's ``examples/test_ls3dw.py`` does.

``.mat`` coordinates are MATLAB's 1-based pixels and are shifted to
0-based (H3R subtracts 1 for AFLW2000-3D); LS3D-W's are taken as they are,
as H3R takes them. The box of both protocols is the landmark box (min/max
of the points: H3R's test scripts use it for P1 and P2), and each face
gets ``box_size = sqrt(w * h)`` of that box, H3R's NME normaliser, which
:class:`~rr_mmpose.datasets.FaceLandmarkBoxDataset` hands to MMPose's ``NME``.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from ..coco_face_json import tight_box
from .common import ConversionError, SplitWriter, image_size, report_written, write_outputs

NUM_KEYPOINTS = 68
SUBSETS_300WLP = ('AFW', 'HELEN', 'IBUG', 'LFPW')
IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png')


def _points(array: ArrayLike, path: Path, what: str) -> np.ndarray:
    """(68, 2) x, y from (68, 2 | 3) or (2 | 3, 68) coordinates."""
    try:
        array = np.asarray(array, dtype=np.float64)
    except (TypeError, ValueError):
        raise ConversionError(path, f'{what} is not a numeric array') from None
    if array.ndim == 2 and array.shape[0] == NUM_KEYPOINTS and array.shape[1] in (2, 3):
        points = array[:, :2]
    elif array.ndim == 2 and array.shape[1] == NUM_KEYPOINTS and array.shape[0] in (2, 3):
        points = array[:2].T
    else:
        raise ConversionError(
            path, f'{what} must hold {NUM_KEYPOINTS} points (68 x 2 or 2|3 x 68), got {array.shape}'
        )
    if not np.isfinite(points).all():
        raise ConversionError(path, f'{what} has NaN or infinite coordinates')
    return np.ascontiguousarray(points)


def read_mat_landmarks(path: Path, key: str) -> np.ndarray:
    """The (68, 2) points under ``key`` in a MATLAB file, as stored (1-based)."""
    from scipy.io import loadmat

    path = Path(path)
    if not path.is_file():
        raise ConversionError(path, 'missing landmark file')
    try:
        content = loadmat(str(path))
    except Exception as err:  # scipy raises several types for a corrupt file
        raise ConversionError(path, f'unreadable .mat file ({type(err).__name__}: {err})') from None
    if key not in content:
        found = sorted(k for k in content if not k.startswith('__'))
        raise ConversionError(path, f'no {key!r} in the .mat file (it holds {found})')
    return _points(content[key], path, repr(key))


def read_t7_landmarks(path: Path) -> np.ndarray:
    """The (68, 2) points of an LS3D-W ``.t7`` file (Torch7 serialisation)."""
    import torchfile

    path = Path(path)
    if not path.is_file():
        raise ConversionError(path, 'missing landmark file')
    try:
        content = torchfile.load(str(path))
    except Exception as err:  # torchfile raises several types for a corrupt file
        raise ConversionError(path, f'unreadable .t7 file ({type(err).__name__}: {err})') from None
    return _points(content, path, 'the tensor')


def landmark_box(points: np.ndarray) -> tuple[np.ndarray, float]:
    """H3R's box of these test sets, (x_min, y_min, x_max, y_max) of the
    points, and its ``sqrt(w * h)``."""
    box = tight_box(points)
    return box, float(np.sqrt(np.prod(box[2:] - box[:2])))


def _add(
    writer: SplitWriter, file_name: str, image: Path, source: Path, points: np.ndarray
) -> None:
    box, size = landmark_box(points)
    if size <= 0:
        raise ConversionError(source, f'the landmarks span an empty box {box.tolist()}')
    writer.add(file_name, image_size(image, source), points, box, box_size=round(size, 4))


def _images(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise ConversionError(folder, 'missing image folder')
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def parse_300wlp(root: Path, key: str = 'pts_3d', prefix: str = '300W_LP/') -> SplitWriter:
    root, writer = Path(root), SplitWriter()
    for subset in SUBSETS_300WLP:
        for image in _images(root / subset):
            mat = root / 'landmarks' / subset / f'{image.stem}_pts.mat'
            points = read_mat_landmarks(mat, key) - 1.0
            _add(writer, prefix + f'{subset}/{image.name}', image, mat, points)
    return writer


def parse_aflw2000(root: Path, prefix: str = 'AFLW2000/') -> SplitWriter:
    root, writer = Path(root), SplitWriter()
    for image in _images(root):
        mat = image.with_suffix('.mat')
        points = read_mat_landmarks(mat, 'pt3d_68') - 1.0
        _add(writer, prefix + image.name, image, mat, points)
    return writer


def _number_first(path: Path) -> tuple:
    return (0, int(path.stem), '') if path.stem.isdigit() else (1, 0, path.stem)


def parse_ls3dw(root: Path, prefix: str = 'LS3D-W/') -> SplitWriter:
    root, writer = Path(root), SplitWriter()
    # Numbered 1..7200: in number order, as H3R's test script reads them.
    for image in sorted(_images(root / 'new_dataset'), key=_number_first):
        t7 = image.with_suffix('.t7')
        _add(writer, prefix + f'new_dataset/{image.name}', image, t7, read_t7_landmarks(t7))
    return writer


def convert_300wlp(
    root: Path | None,
    out_dir: Path,
    aflw2000_root: Path | None = None,
    ls3dw_root: Path | None = None,
    key: str = 'pts_3d',
) -> list[Path]:
    """Write ``annotations/{p1,p2}/face_landmarks_{300wlp_train,
    aflw2000_test,ls3dw_test}.json`` for the sources given.

    Image paths start with ``300W_LP/``, ``AFLW2000/`` and ``LS3D-W/``:
    link each source folder under ``out_dir/images/`` by that name. Every
    source is parsed before anything is written.
    """
    sources = {
        'face_landmarks_300wlp_train': (root, lambda r: parse_300wlp(r, key)),
        'face_landmarks_aflw2000_test': (aflw2000_root, parse_aflw2000),
        'face_landmarks_ls3dw_test': (ls3dw_root, parse_ls3dw),
    }
    outputs = {}
    for name, (source, parse) in sources.items():
        if source is None:
            continue
        writer = parse(Path(source))
        if not writer.images:
            raise ConversionError(source, 'no images found')
        outputs[name] = writer.documents(dataset=name.split('_')[2], source=str(source))
        print(f'{name}: {len(writer.images)} faces')
    if not outputs:
        raise ValueError('give at least one of 300W-LP, AFLW2000-3D and LS3D-W')
    return write_outputs(outputs, out_dir)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog='python -m rr_mmpose.datasets.converters.face300wlp',
        description='300W-LP, AFLW2000-3D and LS3D-W -> MMPose COCO-style JSON',
    )
    parser.add_argument('out_dir', nargs='?', default='data/300wlp')
    parser.add_argument('--300w-lp', dest='root', help='300W_LP (AFW/, HELEN/, ..., landmarks/)')
    parser.add_argument('--aflw2000', help='AFLW2000 (image*.jpg with image*.mat)')
    parser.add_argument('--ls3dw', help='LS3D-W (new_dataset/<i>.jpg with <i>.t7)')
    parser.add_argument(
        '--key', default='pts_3d', help="300W-LP landmarks: pts_3d (default, H3R's) or pts_2d"
    )
    args = parser.parse_args(argv)
    report_written(
        lambda: convert_300wlp(args.root, args.out_dir, args.aflw2000, args.ls3dw, args.key)
    )


if __name__ == '__main__':
    main()
