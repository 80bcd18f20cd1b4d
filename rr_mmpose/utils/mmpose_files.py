"""Locate the tools and configs shipped inside the installed mmpose."""

from __future__ import annotations

from pathlib import Path

import mmpose


def _shipped(kind: str, name: str) -> Path:
    path = Path(mmpose.__file__).parent / '.mim' / kind / name
    if not path.is_file():
        raise FileNotFoundError(f'mmpose {mmpose.__version__} ships no {kind}/{name} ({path})')
    return path


def mmpose_tool(name: str) -> Path:
    """Path of MMPose's own ``tools/<name>`` (e.g. ``'train.py'``)."""
    return _shipped('tools', name)


def mmpose_config(name: str) -> Path:
    """Path of a config shipped inside mmpose (``'body_2d_keypoint/...py'``),
    what ``mmpose::<name>`` means inside a config's ``_base_``."""
    return _shipped('configs', name)
