"""Every ``python -m rr_mmpose...`` entry point starts without a warning a
user could do nothing about (runpy's double import, upstream noise)."""

import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # subprocesses

ENTRY_POINTS = [
    'rr_mmpose.datasets.converters.face300w',
    'rr_mmpose.datasets.converters.face300wlp',
    'rr_mmpose.datasets.converters.lapa',
    'rr_mmpose.datasets.converters.wflw',
    'rr_mmpose.datasets.generate_faces',
    'rr_mmpose.datasets.generate_video',
    'rr_mmpose.deployment.onnx_export',
    'rr_mmpose.h3r.convert',
    'rr_mmpose.tools.calibrate',
    'rr_mmpose.tools.test',
    'rr_mmpose.tools.train',
]


@pytest.mark.parametrize('module', ENTRY_POINTS)
def test_entry_point_help_is_quiet(module, tmp_path):
    done = subprocess.run(
        [sys.executable, '-m', module, '--help'],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert 'usage' in done.stdout
    assert 'Warning' not in done.stdout + done.stderr, done.stderr
