"""``run_mmpose_tool`` ends the process group its run made, whether the tool
returns or raises: a gloo group left to interpreter shutdown can abort a
finished rank (``terminate called without an active exception``), which
torchrun reports as a failed run. One rank, both cases in one process."""

import json
import os
import subprocess
import sys

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

# Runs the tool once per argument list, each on a fresh port, and records
# whether a group outlived it.
RUNNER = """
import json, os, socket, sys
from pathlib import Path
import torch.distributed as dist
from rr_mmpose.tools import launcher

tool, runs = Path(sys.argv[1]), json.loads(sys.argv[2])  # the tool run replaces sys.argv
launcher.mmpose_tool = lambda name: tool
for argv in runs:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        os.environ['MASTER_PORT'] = str(sock.getsockname()[1])
    try:
        launcher.run_mmpose_tool('train.py', argv)
        raised = None
    except RuntimeError as error:
        raised = str(error)
    print(json.dumps(dict(raised=raised, group_after=dist.is_initialized())))
"""


def test_the_tools_process_group_ends_with_it(tmp_path):
    tool = tmp_path / 'fake_train.py'
    tool.write_text(FAKE_TOOL)
    config = tmp_path / 'config.py'
    config.write_text('')
    returns = [str(config), '--launcher', 'pytorch']
    raises = [*returns, '--fail']
    env = dict(os.environ, LOCAL_RANK='0', RANK='0', WORLD_SIZE='1', MASTER_ADDR='127.0.0.1')
    result = subprocess.run(
        [sys.executable, '-c', RUNNER, str(tool), json.dumps([returns, raises])],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'terminate called' not in result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith('{')]
    seen_returning, after_returning, seen_raising, after_raising = lines
    for seen, argv in ((seen_returning, returns), (seen_raising, raises)):
        assert seen['world_size'] == 1
        assert seen['argv'][: len(argv)] == argv  # then the CPU options
    assert after_returning == dict(raised=None, group_after=False)
    assert after_raising == dict(raised='the tool failed', group_after=False)
