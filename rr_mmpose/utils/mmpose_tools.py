"""Locate and run the tools shipped inside the installed mmpose package."""

import runpy
import sys
from collections.abc import Sequence
from pathlib import Path

import mmpose


def mmpose_tool(name: str) -> Path:
    """Path of MMPose's own ``tools/<name>`` (e.g. ``'train.py'``)."""
    path = Path(mmpose.__file__).parent / '.mim' / 'tools' / name
    if not path.is_file():
        raise FileNotFoundError(f'mmpose {mmpose.__version__} ships no tools/{name} ({path})')
    return path


def run_mmpose_tool(name: str, argv: Sequence[str]) -> None:
    """Run MMPose's tool in this process, as ``python tools/<name> argv``."""
    path = mmpose_tool(name)
    sys.argv = [str(path), *argv]
    runpy.run_path(str(path), run_name='__main__')
