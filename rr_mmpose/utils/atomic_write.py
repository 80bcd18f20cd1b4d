"""Write a file all at once or not at all."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_output(path: os.PathLike, suffix: str = '.tmp') -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it onto
    ``path``, on any error delete it. A failed write never leaves a
    half-written file, and an earlier file at ``path`` survives it.

    ``suffix`` is the temporary file's: writers that pick a format from the
    name (``Config.dump``) need the real one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f'.{path.name}.', suffix=suffix, dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
