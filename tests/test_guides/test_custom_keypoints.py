"""docs/custom_keypoints.md, run as written: every block in order, in an
empty folder, with this package installed. A block after
``<!-- file: NAME -->`` is written to NAME; other blocks run whole, each
as one script (bash with ``-euo pipefail``)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ..helpers import REPO

GUIDE = REPO / 'docs' / 'custom_keypoints.md'
BLOCK = re.compile(
    r'(?:<!-- file: (?P<file>[\w.-]+) -->\n)?```(?P<lang>\w+)\n(?P<body>.*?)```', re.S
)


def blocks() -> list[tuple[str | None, str, str]]:
    return [(m['file'], m['lang'], m['body']) for m in BLOCK.finditer(GUIDE.read_text())]


def test_the_guide_has_its_files_and_commands():
    found = blocks()
    files = [name for name, _, _ in found if name]
    assert files == [
        'make_face5.py',
        'face5.py',
        'td-hm_mobilenetv2_rr-1xb16-2e_face5-128x128.py',
        'rtmpose-t_rr-1xb16-2e_face5-128x128.py',
    ]
    assert sum(lang == 'bash' and not name for name, lang, _ in found) == 2


@pytest.mark.slow  # trains two models
def test_the_guide_runs_as_written(tmp_path):
    env = dict(os.environ, PATH=f'{Path(sys.executable).parent}{os.pathsep}{os.environ["PATH"]}')
    env.pop('PYTHONPATH', None)
    outputs = []
    for name, lang, body in blocks():
        if name:
            (tmp_path / name).write_text(body)
            continue
        if lang == 'python':
            command = [sys.executable, '-c', body]
        else:
            assert lang == 'bash'
            command = ['bash', '-euo', 'pipefail', '-c', body]
        done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True)
        assert done.returncode == 0, f'{body}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}'
        outputs.append(done.stdout)
    for work_dir in ('face5_hm', 'face5_simcc'):
        assert (tmp_path / 'work_dirs' / work_dir / 'epoch_2.pth').is_file()
    assert re.search(r'NME: \d', outputs[1]) and re.search(
        r'NME: \d', outputs[1].split('epoch_2')[-1]
    )
    count, scores = outputs[-1].strip().splitlines()[-1].split(' ', 1)
    assert count == '5' and len(eval(scores)) == 5
    assert list((tmp_path / 'work_dirs' / 'face5_vis').glob('*.jpg'))
