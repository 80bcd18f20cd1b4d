"""Shared parts of the dataset converters: errors that name the file and
line, image sizes, and writing all outputs only after everything parsed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from ..coco_face_json import (
    coco_document,
    face_annotation,
    image_record,
    tight_box,
    write_json_atomic,
)

BOX_PROTOCOLS = ('p1', 'p2')


class ConversionError(ValueError):
    """Malformed source data; the message names the file (and line)."""

    def __init__(self, path: Path | str, message: str, line: int | None = None) -> None:
        where = f'{path}:{line}' if line is not None else f'{path}'
        super().__init__(f'{where}: {message}')


def report_written(convert: Callable[[], list[Path]]) -> None:
    """A converter's command line: run ``convert``, print each file written,
    and stop on malformed input with the error's one line (file, line and
    what is wrong) instead of a traceback; nothing was written then."""
    try:
        written = convert()
    except ConversionError as error:
        raise SystemExit(f'error: {error}; nothing written') from None
    for path in written:
        print(path)


def parse_floats(values: Sequence[str], path: Path, line: int) -> np.ndarray:
    try:
        array = np.array([float(v) for v in values], dtype=np.float64)
    except ValueError as err:
        raise ConversionError(path, f'non-numeric value ({err})', line) from None
    if not np.isfinite(array).all():
        raise ConversionError(path, 'NaN or infinite value', line)
    return array


def image_size(path: Path, source: Path, line: int | None = None) -> tuple:
    """(width, height) of an image, read from its header only."""
    if not path.is_file():
        raise ConversionError(source, f'missing image {path}', line)
    try:
        with Image.open(path) as im:
            return im.size
    except OSError as err:
        raise ConversionError(source, f'unreadable image {path} ({err})', line) from None


class SplitWriter:
    """Collects one split's faces, then writes a P1 and a P2 file.

    P1 is the tight landmark box; P2 is the box H3R's test script of the
    dataset uses (or the landmark box when the dataset has none for an
    image: counted in ``p2_fallbacks`` and recorded in the file's ``info``).
    """

    def __init__(self) -> None:
        self.images: list[dict] = []
        self.faces: dict[str, list[dict]] = {p: [] for p in BOX_PROTOCOLS}
        self.p2_fallbacks = 0

    def add(
        self,
        file_name: str,
        size: tuple,
        keypoints: np.ndarray,
        p2_box: np.ndarray | None = None,
        **extra: float,
    ) -> None:
        """One face; ``extra`` fields (e.g. ``box_size``) go into both
        protocols' annotations."""
        image_id = len(self.images)
        self.images.append(image_record(image_id, file_name, *size))
        p1 = tight_box(keypoints)
        if p2_box is None:
            self.p2_fallbacks += 1
            p2_box = p1
        for protocol, box in (('p1', p1), ('p2', p2_box)):
            annotation = face_annotation(image_id, image_id, keypoints, box)
            self.faces[protocol].append({**annotation, **extra})

    def documents(self, **info: str) -> dict[str, dict]:
        return {
            p: coco_document(
                self.images, self.faces[p], box_protocol=p, p2_fallbacks=self.p2_fallbacks, **info
            )
            for p in BOX_PROTOCOLS
        }


def write_outputs(outputs: dict[str, dict[str, dict]], out_dir: Path) -> list[Path]:
    """``outputs[name][protocol]`` -> ``out_dir/annotations/<protocol>/<name>.json``.

    Called once every split parsed, so malformed input leaves nothing
    behind; each file is written atomically (temporary file + rename).
    """
    written = []
    for name, per_protocol in outputs.items():
        for protocol, document in per_protocol.items():
            path = Path(out_dir) / 'annotations' / protocol / f'{name}.json'
            written.append(write_json_atomic(document, path))
    return written
