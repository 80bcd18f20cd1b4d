"""Ruff's lint and format checks, as configured in ruff.toml."""

import subprocess
import sys

import pytest

from ..helpers import REPO

pytestmark = pytest.mark.slow  # subprocesses


def ruff(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, '-m', 'ruff', *args], cwd=REPO, capture_output=True, text=True
    )


def test_ruff_check_passes():
    result = ruff('check', '.')
    assert result.returncode == 0, result.stdout


def test_ruff_format_is_applied():
    result = ruff('format', '--check', '.')
    assert result.returncode == 0, result.stdout
