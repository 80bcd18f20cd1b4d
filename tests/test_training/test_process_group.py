"""``run_mmpose_tool`` ends the process group its run made, whether the tool
returns or raises: a gloo group left to interpreter shutdown can abort a
finished rank (``terminate called without an active exception``), which
torchrun reports as a failed run. One rank, one process per case."""

import json
import os
import socket
import subprocess
import sys

import pytest

# Stands in for MMPose's tools/train.py: records what the run saw, as MMEngine
# would create the group on a GPU machine if the launcher had not.
FAKE_TOOL = """
import json, sys
import torch.distributed as dist
if not dist.is_initialized():
    dist.init_process_group(backend='gloo')
print(json.dumps(dict(argv=sys.argv[1:], world_size=dist.get_world_size())))
if '--fail' in sys.argv:
    raise RuntimeError('the tool failed')
"""

RUNNER = """
import json, sys
from pathlib import Path
import torch.distributed as dist
from rr_mmpose.tools import launcher

launcher.mmpose_tool = lambda name: Path(sys.argv[1])
try:
    launcher.run_mmpose_tool('train.py', sys.argv[2:])
    raised = None
except RuntimeError as error:
    raised = str(error)
print(json.dumps(dict(raised=raised, group_after=dist.is_initialized())))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def run_one_rank(tmp_path, *argv: str) -> list[dict]:
    tool = tmp_path / 'fake_train.py'
    tool.write_text(FAKE_TOOL)
    env = dict(
        os.environ,
        LOCAL_RANK='0',
        RANK='0',
        WORLD_SIZE='1',
        MASTER_ADDR='127.0.0.1',
        MASTER_PORT=str(free_port()),
    )
    result = subprocess.run(
        [sys.executable, '-c', RUNNER, str(tool), *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'terminate called' not in result.stderr
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith('{')]


@pytest.mark.parametrize('fail', [False, True], ids=['returns', 'raises'])
def test_the_tools_process_group_ends_with_it(tmp_path, fail):
    config = tmp_path / 'config.py'
    config.write_text('')
    argv = [str(config), '--launcher', 'pytorch'] + (['--fail'] if fail else [])
    seen, after = run_one_rank(tmp_path, *argv)
    assert seen['world_size'] == 1
    assert seen['argv'][: len(argv)] == argv
    assert after == dict(raised='the tool failed' if fail else None, group_after=False)
