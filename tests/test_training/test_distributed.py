"""Two processes (gloo, CPU) through torchrun and ``rr_mmpose.tools.train``
(MMPose's own tool, after creating the gloo process group that MMEngine
0.10.7's pytorch launcher cannot create without CUDA)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ..helpers import DEMO_CONFIG, REPO

pytestmark = pytest.mark.slow  # trains or launches processes

TESTS = Path(__file__).resolve().parent


def train_two_ranks(data_root: Path, work_dir: Path) -> list:
    probe_dir = work_dir / 'probe'
    config = work_dir / 'dist_config.py'
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f"""
_base_ = [{str(DEMO_CONFIG)!r}]
custom_imports = dict(imports=['rr_mmpose', 'dist_probe'], allow_failed_imports=False)
custom_hooks = [dict(type='RankProbeHook', out_dir={str(probe_dir)!r}, stride=4)]
train_cfg = dict(max_epochs=1, val_interval=10)
param_scheduler = [dict(type='ConstantLR', factor=1.0)]
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=10))
randomness = dict(seed=0)
codec = dict(type='RandomizedRoundingHeatmap', input_size=(128, 128), heatmap_size=(32, 32))
train_dataloader = dict(
    batch_size=4, num_workers=1, persistent_workers=False,
    dataset=dict(data_root={str(data_root)!r}, pipeline=[
        dict(type='LoadImage'),
        dict(type='GetBBoxCenterScale'),
        dict(type='RandomFlip', direction='horizontal'),
        dict(type='RandomBBoxTransform', shift_prob=0, rotate_factor=60),
        dict(type='TopdownAffine', input_size=(128, 128)),
        dict(type='GenerateTarget', encoder=codec),
        dict(type='PackPoseInputs', pack_transformed=True),
    ]))
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      dataset=dict(data_root={str(data_root)!r}))
test_dataloader = val_dataloader
""")
    env = dict(
        os.environ,
        PYTHONPATH=f'{TESTS}{os.pathsep}{os.environ.get("PYTHONPATH", "")}',
        OMP_NUM_THREADS='1',
        PYTHONWARNINGS='ignore',
    )
    cmd = [
        sys.executable,
        '-m',
        'torch.distributed.run',
        '--standalone',  # its own free port: no clash with another run or a socket in TIME_WAIT
        '--nproc_per_node=2',
        '-m',
        'rr_mmpose.tools.train',
        str(config),
        '--launcher',
        'pytorch',
        '--work-dir',
        str(work_dir),
    ]
    result = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return [json.loads((probe_dir / f'rank{r}.json').read_text()) for r in (0, 1)]


@pytest.fixture(scope='module')
def two_runs(tiny_faces, tmp_path_factory):
    return [train_two_ranks(tiny_faces, tmp_path_factory.mktemp(f'dist{i}')) for i in range(2)]


def test_ranks_end_with_identical_weights(two_runs):
    ranks = two_runs[0]
    assert [r['world_size'] for r in ranks] == [2, 2]
    assert ranks[0]['weights'] == ranks[1]['weights']


def test_ranks_draw_different_rounding(two_runs):
    rank0, rank1 = (np.array(r['round_ups']) for r in two_runs[0])
    assert set(np.unique(rank0)) <= {0, 1} and set(np.unique(rank1)) <= {0, 1}
    n = min(len(rank0), len(rank1))
    assert n > 100 and not np.array_equal(rank0[:n], rank1[:n])


def test_same_seed_reproduces_the_loss_curve(two_runs):
    first, second = two_runs
    for r in (0, 1):
        assert first[r]['losses'] == second[r]['losses']
        assert first[r]['round_ups'] == second[r]['round_ups']
