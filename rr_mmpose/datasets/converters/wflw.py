"""WFLW (98 points) from ``list_98pt_rect_attr_{train,test}.txt``.

Each row: 196 landmark coordinates (x0 y0 ... x97 y97), the dataset's box
(x_min y_min x_max y_max), six attribute flags (pose, expression,
illumination, make-up, occlusion, blur) and the image path relative to
``WFLW_images``. Every annotation keeps its flags as ``attributes``, a dict
of bools keyed by ``ATTRIBUTES`` (read by ``FaceLandmarkMetric`` for its
per-subset NME).
"""

from __future__ import annotations

from pathlib import Path

from .common import (
    ConversionError,
    SplitWriter,
    image_size,
    parse_floats,
    report_written,
    write_outputs,
)

NUM_KEYPOINTS = 98
ATTRIBUTES = ('pose', 'expression', 'illumination', 'makeup', 'occlusion', 'blur')
NUM_COLUMNS = 2 * NUM_KEYPOINTS + 4 + len(ATTRIBUTES) + 1


def parse_wflw_list(list_file: Path, image_root: Path) -> dict[str, SplitWriter]:
    """Parse one list file into the full split and its attribute subsets."""
    full = SplitWriter()
    subsets = {a: SplitWriter() for a in ATTRIBUTES}
    text = Path(list_file).read_text().splitlines()
    for line_no, line in enumerate(text, start=1):
        if not line.strip():
            continue
        cols = line.split()
        if len(cols) != NUM_COLUMNS:
            raise ConversionError(
                list_file, f'expected {NUM_COLUMNS} columns, got {len(cols)}', line_no
            )
        values = parse_floats(cols[:-1], list_file, line_no)
        keypoints = values[: 2 * NUM_KEYPOINTS].reshape(NUM_KEYPOINTS, 2)
        box = values[2 * NUM_KEYPOINTS : 2 * NUM_KEYPOINTS + 4]
        flags = values[2 * NUM_KEYPOINTS + 4 :]
        if not set(flags) <= {0.0, 1.0}:
            raise ConversionError(
                list_file, f'attribute flags must be 0 or 1, got {flags}', line_no
            )
        if box[2] <= box[0] or box[3] <= box[1]:
            raise ConversionError(list_file, f'empty box {box.tolist()}', line_no)
        file_name = cols[-1]
        size = image_size(Path(image_root) / file_name, list_file, line_no)
        attributes = {a: bool(flag) for a, flag in zip(ATTRIBUTES, flags)}
        full.add(file_name, size, keypoints, box, attributes=attributes)
        for attribute, flag in attributes.items():
            if flag:
                subsets[attribute].add(file_name, size, keypoints, box, attributes=attributes)
    return {'': full, **subsets}


def convert_wflw(annotation_dir: Path, image_root: Path, out_dir: Path) -> list[Path]:
    """Write ``annotations/{p1,p2}/face_landmarks_wflw_{train,test}.json``
    and the six test subsets ``face_landmarks_wflw_test_<attribute>.json``."""
    outputs = {}
    for split in ('train', 'test'):
        list_file = Path(annotation_dir) / f'list_98pt_rect_attr_{split}.txt'
        if not list_file.is_file():
            raise ConversionError(list_file, 'missing WFLW list file')
        for subset, writer in parse_wflw_list(list_file, image_root).items():
            if subset and split == 'train':
                continue
            name = f'face_landmarks_wflw_{split}' + (f'_{subset}' if subset else '')
            outputs[name] = writer.documents(source=list_file.name, dataset='wflw')
    return write_outputs(outputs, out_dir)


def main(argv: list[str] | None = None) -> None:
    """``python -m rr_mmpose.datasets.converters.wflw ANNOTATION_DIR IMAGE_ROOT [OUT_DIR]``"""
    import argparse

    parser = argparse.ArgumentParser(description='WFLW -> MMPose COCO-style JSON')
    parser.add_argument('annotation_dir', help='folder with list_98pt_rect_attr_*.txt')
    parser.add_argument('image_root', help='the WFLW_images folder')
    parser.add_argument('out_dir', nargs='?', default='data/wflw')
    args = parser.parse_args(argv)
    report_written(lambda: convert_wflw(args.annotation_dir, args.image_root, args.out_dir))


if __name__ == '__main__':
    main()
