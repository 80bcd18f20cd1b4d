"""LaPa (106 points) from ``{train,val,test}/images/*.jpg`` and
``landmarks/*.txt`` (first line: the point count, then one ``x y`` a line).

P2 is the box H3R's ``examples/test_lapa.py`` tested its P2 models with:
the first line, ``x_min y_min x_max y_max``, of ``<split>/bbox/<name>.txt``.
LaPa's release has no such folder (H3R made its own and did not publish
it): where a file is missing P2 falls back to the landmark box, and the
command and the output's ``info.p2_fallbacks`` say how many did.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .common import (
    ConversionError,
    SplitWriter,
    image_size,
    parse_floats,
    report_written,
    write_outputs,
)

NUM_KEYPOINTS = 106
SPLITS = ('train', 'val', 'test')
IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png')


def read_landmark_file(path: Path, num_keypoints: int = NUM_KEYPOINTS) -> np.ndarray:
    lines = [ln for ln in Path(path).read_text().splitlines() if ln.strip()]
    if not lines:
        raise ConversionError(path, 'empty landmark file')
    try:
        declared = int(lines[0].split()[0])
    except ValueError:
        message = f'first line must be the point count, got {lines[0]!r}'
        raise ConversionError(path, message, 1) from None
    if declared != num_keypoints or len(lines) - 1 != declared:
        raise ConversionError(
            path,
            f'expected {num_keypoints} points, header says {declared}, file has {len(lines) - 1}',
        )
    points = []
    for line_no, line in enumerate(lines[1:], start=2):
        cols = line.split()
        if len(cols) != 2:
            raise ConversionError(path, f'expected "x y", got {line!r}', line_no)
        points.append(parse_floats(cols, path, line_no))
    return np.stack(points)


def read_box_file(path: Path) -> np.ndarray | None:
    """The box ``x_min y_min x_max y_max`` on the first line of a box file, as
    H3R's ``examples/test_lapa.py`` reads ``<split>/bbox/<name>.txt`` (a file
    of several boxes, one per line, gives its first); None without the file."""
    if not path.is_file():
        return None
    lines = path.read_text().splitlines()
    cols = lines[0].split() if lines else []
    if len(cols) != 4:
        raise ConversionError(path, f'expected x_min y_min x_max y_max, got {len(cols)} values', 1)
    box = parse_floats(cols, path, 1)
    if box[2] <= box[0] or box[3] <= box[1]:
        raise ConversionError(path, f'empty box {box.tolist()}', 1)
    return box


def convert_lapa(lapa_root: Path, out_dir: Path) -> list[Path]:
    """Write ``annotations/{p1,p2}/lapa_{train,val,test}.json`` with image
    paths relative to ``lapa_root``: link that folder as ``data/lapa/images``."""
    lapa_root = Path(lapa_root)
    outputs = {}
    for split in SPLITS:
        image_dir = lapa_root / split / 'images'
        if not image_dir.is_dir():
            raise ConversionError(image_dir, 'missing LaPa image folder')
        writer = SplitWriter()
        images = sorted(p for p in image_dir.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        for image in images:
            landmark_file = lapa_root / split / 'landmarks' / f'{image.stem}.txt'
            if not landmark_file.is_file():
                raise ConversionError(landmark_file, f'missing landmarks for {image.name}')
            keypoints = read_landmark_file(landmark_file)
            box = read_box_file(lapa_root / split / 'bbox' / f'{image.stem}.txt')
            writer.add(
                str(image.relative_to(lapa_root)), image_size(image, landmark_file), keypoints, box
            )
        outputs[f'lapa_{split}'] = writer.documents(dataset='lapa', split=split)
        print(
            f'{split}: {len(images)} images, P2 box from file for '
            f'{len(images) - writer.p2_fallbacks}, landmark box for {writer.p2_fallbacks}'
        )
    return write_outputs(outputs, out_dir)


def main(argv: list[str] | None = None) -> None:
    """``python -m rr_mmpose.datasets.converters.lapa LAPA_ROOT [OUT_DIR]``"""
    import argparse

    parser = argparse.ArgumentParser(description='LaPa -> MMPose COCO-style JSON')
    parser.add_argument('lapa_root', help='folder holding train/, val/ and test/')
    parser.add_argument('out_dir', nargs='?', default='data/lapa')
    args = parser.parse_args(argv)
    report_written(lambda: convert_lapa(args.lapa_root, args.out_dir))


if __name__ == '__main__':
    main()
