"""`tools/setup_env.sh` refuses a disk too small for the stack, up front."""

import os
import subprocess
from pathlib import Path

SETUP = Path(__file__).resolve().parents[2] / 'tools' / 'setup_env.sh'


def test_too_little_disk_stops_before_anything_is_written(tmp_path: Path) -> None:
    venv = tmp_path / 'envs' / 'venv'
    env = {**os.environ, 'RR_MMPOSE_VENV': str(venv), 'RR_MMPOSE_NEED_GIB': '1000000'}
    done = subprocess.run(['bash', str(SETUP)], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert 'needs about 1000000 GiB free' in done.stderr
    assert f'the file system of {venv} has' in done.stderr
    # Nothing half-made: no venv, not even its parent folder.
    assert list(tmp_path.iterdir()) == []
