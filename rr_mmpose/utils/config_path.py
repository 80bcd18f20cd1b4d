"""Find the configs shipped inside the installed package."""

from __future__ import annotations

import difflib
from importlib import resources
from pathlib import Path


def configs_root() -> Path:
    """``rr_mmpose/.mim/configs``: a copy of the repository's ``configs/``
    in a wheel, a link to it in an editable install (see ``setup.py``)."""
    return Path(str(resources.files('rr_mmpose'))) / '.mim' / 'configs'


def shipped_configs() -> list[str]:
    """Names of every shipped config, relative to :func:`configs_root`."""
    root = configs_root()
    return sorted(p.relative_to(root).as_posix() for p in root.rglob('*.py'))


def config_path(name: str) -> str:
    """Absolute path of a shipped config, for ``Config.fromfile``, MMPose's
    ``tools/train.py`` or ``MMPoseInferencer``.

    mmengine's ``package::`` scope only knows its own list of OpenMMLab
    packages, so ``rr_mmpose::`` cannot be used in a path; this is the way.

    Args:
        name (str): Path relative to the configs root, e.g.
            ``'face_2d_keypoint/rr_heatmap/wflw/td-hm_hrnetv2-w18_rr-8xb64-60e_wflw-p1-256x256.py'``

    Raises:
        ValueError: ``name`` is absolute or climbs out with ``..``
        FileNotFoundError: No such config; the message lists the nearest
            shipped names.
    """
    if Path(name).is_absolute() or '..' in Path(name).parts:
        raise ValueError(f'{name!r}: give a name relative to the shipped configs root')
    path = configs_root() / name
    if path.is_file():
        return str(path)
    names = shipped_configs()
    by_path = difflib.get_close_matches(name, names, n=5, cutoff=0.3)
    by_file = [n for n in names if Path(n).name == Path(name).name]
    nearest = list(dict.fromkeys(by_file + by_path))
    hint = ', '.join(nearest) if nearest else f'none close; {len(names)} shipped'
    raise FileNotFoundError(f'rr_mmpose ships no config {name!r}; nearest: {hint}')
