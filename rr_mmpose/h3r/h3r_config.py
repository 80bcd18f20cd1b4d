"""H3R's model configuration: ``torchalign``'s defaults and how a released
``config.yaml`` is merged over them.

H3R builds every model from a yacs ``CfgNode`` whose defaults live in
``torchalign/cfg.py``; a model directory's ``config.yaml`` only overrides
some of them (the five WFLW files, for instance, name neither the dataset
nor the flip order: the defaults are WFLW's). The values below are those
defaults, transcribed; :func:`load_h3r_config` merges a file over a fresh
copy with yacs' rules (unknown keys and type changes are errors), as
``FacialLandmarkDetector.config_from_file`` does in a fresh process.

Both the converter and the MMPose-free reference network read H3R
configurations through this module.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

#: WFLW's 98-point flip order, ``torchalign``'s default ``INPUT.FLIP_ORDER``.
WFLW_FLIP_ORDER = [
    *range(32, -1, -1),
    *(46, 45, 44, 43, 42, 50, 49, 48, 47, 37, 36, 35, 34, 33, 41, 40, 39, 38),
    *(51, 52, 53, 54, 59, 58, 57, 56, 55),
    *(72, 71, 70, 69, 68, 75, 74, 73, 64, 63, 62, 61, 60, 67, 66, 65),
    *(82, 81, 80, 79, 78, 77, 76, 87, 86, 85, 84, 83, 92, 91, 90, 89, 88, 95, 94, 93, 97, 96),
]

H3R_DEFAULTS: dict[str, dict[str, Any]] = {
    'INPUT': {
        'SIZE': [256, 256],
        'SCALE': 1.25,
        'DATASET': 'WFLW',
        'BBOX': 'P1',
        'FLIP': True,
        'FLIP_ORDER': WFLW_FLIP_ORDER,
    },
    'BACKBONE': {'ARCH': 'hrnet18'},
    'HEATMAP': {
        'ARCH': 'HeatmapHead',
        'IN_CHANNEL': 270,
        'PROJ_CHANNEL': 270,
        'OUT_CHANNEL': 98,
        'STRIDE': 4.0,
        'ENCODER': 'Coordinate2BinaryHeatmap',
        'DECODER': 'BinaryHeatmap2Coordinate',
        'BLOCK': 'BinaryHeadBlock',
        'TOPK': 9,
    },
}


class H3RConfigError(ValueError):
    """A ``config.yaml`` that H3R's own loader would refuse; names the file
    and the key."""


def _merge(source: dict, target: dict, path: Path, prefix: str) -> None:
    """yacs' ``_merge_a_into_b``: every key must exist in ``target``; a
    value keeps its type, except list <-> tuple (YAML only has lists)."""
    for key, value in source.items():
        full = f'{prefix}{key}'
        if key not in target:
            raise H3RConfigError(f"{path}: {full} is not a key of H3R's config")
        default = target[key]
        if isinstance(default, dict):
            if not isinstance(value, dict):
                raise H3RConfigError(f'{path}: {full} must be a section, got {value!r}')
            _merge(value, default, path, f'{full}.')
            continue
        # yacs compares exact types: 4 where 4.0 is expected is an error there.
        if type(value) is not type(default) and not (
            isinstance(value, (list, tuple)) and isinstance(default, (list, tuple))
        ):
            raise H3RConfigError(
                f'{path}: {full} must be {type(default).__name__} like the default '
                f'{default!r}, got {value!r}'
            )
        target[key] = list(value) if isinstance(value, (list, tuple)) else value


def merge_h3r_config(overrides: dict, source: str | Path = '<dict>') -> dict[str, dict[str, Any]]:
    """H3R's defaults with ``overrides`` (a parsed ``config.yaml``) merged in."""
    if overrides is None:
        overrides = {}
    if not isinstance(overrides, dict):
        raise H3RConfigError(f'{source}: expected a mapping of sections, got {overrides!r}')
    cfg = copy.deepcopy(H3R_DEFAULTS)
    _merge(overrides, cfg, Path(str(source)), '')
    return cfg


def load_h3r_config(path: str | Path) -> dict[str, dict[str, Any]]:
    """Read a released ``config.yaml`` (or a model directory holding one)
    and merge it over H3R's defaults."""
    path = Path(path)
    if path.is_dir():
        path = path / 'config.yaml'
    if not path.is_file():
        raise FileNotFoundError(f'{path}: H3R model directories hold config.yaml and model.pth')
    try:
        overrides = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise H3RConfigError(f'{path}: not valid YAML ({err})') from None
    return merge_h3r_config(overrides, path)
