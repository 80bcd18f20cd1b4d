"""300W (68 points) from ``.pts`` files, with the usual splits.

A ``.pts`` file reads ``version: 1``, ``n_points: 68``, ``{``, 68 lines of
1-based ``x y``, ``}``; coordinates are shifted to MMPose's 0-based pixels.

Splits, from the 300W distribution's folders:

- train: ``lfpw/trainset``, ``helen/trainset``, ``afw`` (3148 images)
- test_common: ``lfpw/testset``, ``helen/testset`` (554)
- test_challenging: ``ibug`` (135)
- test_full: common + challenging (689)
- test_private: ``01_Indoor`` and ``02_Outdoor`` of the 300W test set (600),
  when ``private_root`` is given

P1 is the tight box of the 0-based points, as H3R's ``examples/test_300w.py``
builds it. P2 is that script's other box, the one its P2 models were tested
with: the tight box of the points as the file gives them, 1-based, so P1
moved by one pixel right and down. (Not 300W's detector boxes: H3R's
published P2 figures never used them.)
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from ..coco_face_json import tight_box
from .common import (
    ConversionError,
    SplitWriter,
    image_size,
    parse_floats,
    report_written,
    write_outputs,
)

NUM_KEYPOINTS = 68
SPLIT_FOLDERS = {
    'train': ('lfpw/trainset', 'helen/trainset', 'afw'),
    'test_common': ('lfpw/testset', 'helen/testset'),
    'test_challenging': ('ibug',),
    'test_full': ('lfpw/testset', 'helen/testset', 'ibug'),
}
PRIVATE_FOLDERS = ('01_Indoor', '02_Outdoor')
IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png')


def read_pts(path: Path, num_keypoints: int = NUM_KEYPOINTS) -> np.ndarray:
    """Read a .pts file into 0-based (K, 2) coordinates."""
    lines = Path(path).read_text().splitlines()
    body = [(i, ln.strip()) for i, ln in enumerate(lines, start=1) if ln.strip()]
    header = dict(ln.split(':', 1) for _, ln in body[:2] if ':' in ln)
    try:
        declared = int(header['n_points'])
    except (KeyError, ValueError):
        raise ConversionError(path, 'missing or invalid "n_points:" header', 2) from None
    if declared != num_keypoints:
        raise ConversionError(path, f'expected {num_keypoints} points, header says {declared}', 2)
    if len(body) < 4 or body[2][1] != '{' or body[-1][1] != '}':
        raise ConversionError(path, 'points must be enclosed in "{" and "}"')
    rows = body[3:-1]
    if len(rows) != declared:
        raise ConversionError(path, f'header says {declared} points, file has {len(rows)}')
    points = []
    for line_no, line in rows:
        cols = line.split()
        if len(cols) != 2:
            raise ConversionError(path, f'expected "x y", got {line!r}', line_no)
        points.append(parse_floats(cols, path, line_no))
    return np.stack(points) - 1.0


def h3r_p2_box(keypoints: np.ndarray) -> np.ndarray:
    """H3R's 300W P2 box (x_min, y_min, x_max, y_max) of 0-based (K, 2)
    ``keypoints``: the tight box of the file's 1-based points."""
    return tight_box(keypoints + 1.0)


def _convert_folders(root: Path, folders: Iterable[str], prefix: str) -> SplitWriter:
    writer = SplitWriter()
    for folder in folders:
        directory = root / folder
        if not directory.is_dir():
            raise ConversionError(directory, 'missing 300W folder')
        images = sorted(p for p in directory.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        for image in images:
            pts = image.with_suffix('.pts')
            if not pts.is_file():
                raise ConversionError(pts, f'missing landmarks for {image.name}')
            file_name = prefix + str(image.relative_to(root))
            keypoints = read_pts(pts)
            writer.add(file_name, image_size(image, pts), keypoints, h3r_p2_box(keypoints))
    return writer


def convert_300w(root: Path, out_dir: Path, private_root: Path | None = None) -> list[Path]:
    """Write ``annotations/{p1,p2}/face_landmarks_300w_<split>.json``.

    Image paths are relative to ``root`` (private images get the prefix
    ``300W_private/``: link the test set there), so configs read
    ``data_root/images/<path>``.
    """
    outputs = {}
    sources = dict((s, (Path(root), f, '')) for s, f in SPLIT_FOLDERS.items())
    if private_root is not None:
        sources['test_private'] = (Path(private_root), PRIVATE_FOLDERS, '300W_private/')
    for split, (base, folders, prefix) in sources.items():
        writer = _convert_folders(base, folders, prefix)
        outputs[f'face_landmarks_300w_{split}'] = writer.documents(dataset='300w', split=split)
    return write_outputs(outputs, out_dir)


def main(argv: list[str] | None = None) -> None:
    """``python -m rr_mmpose.datasets.converters.face300w ROOT [OUT_DIR] [...]``"""
    import argparse

    parser = argparse.ArgumentParser(description='300W -> MMPose COCO-style JSON')
    parser.add_argument('root', help='folder holding lfpw/, helen/, afw/ and ibug/')
    parser.add_argument('out_dir', nargs='?', default='data/300w')
    parser.add_argument('--private-root', help='300W test set (01_Indoor/, 02_Outdoor/)')
    args = parser.parse_args(argv)
    report_written(lambda: convert_300w(args.root, args.out_dir, args.private_root))


if __name__ == '__main__':
    main()
