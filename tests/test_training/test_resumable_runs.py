"""A study run stopped mid-way resumes where it stopped, to the weights and
NME curve of a run that never stopped; only a stopped run of the same config
on the same machine kind resumes, and a checkpoint cut off by the stop gives
way to the one before it (tools/benchmarks/study.py)."""

import os
from pathlib import Path

import pytest
import torch
from mmengine.hooks import Hook
from mmpose.registry import HOOKS

from tools.benchmarks import study
from tools.benchmarks.rows import row_config

from .test_repeatable_training import ROWS


class StoppedError(Exception):
    pass


@HOOKS.register_module(force=True)
class StopOnce(Hook):
    """Stops the run after epoch ``epoch`` was checkpointed, the first
    time only (the flag file remembers), as a session's end stops it."""

    priority = 'LOWEST'  # after the CheckpointHook's save

    def __init__(self, epoch: int, flag: str) -> None:
        self.epoch, self.flag = epoch, Path(flag)

    def after_train_epoch(self, runner) -> None:
        if runner.epoch + 1 == self.epoch and not self.flag.exists():
            self.flag.touch()
            raise StoppedError


def stopping_config(row, data_root: Path, work_dir: Path, epoch: int):
    cfg = row_config(row, 0, data_root, work_dir)
    cfg.custom_hooks = [
        *cfg.get('custom_hooks', []),
        dict(type='StopOnce', epoch=epoch, flag=str(work_dir.parent / 'stopped')),
    ]
    return cfg


def final_weights(work_dir: Path, epochs: int) -> dict:
    return torch.load(work_dir / f'epoch_{epochs}.pth', map_location='cpu')['state_dict']


@pytest.mark.slow  # trains
@pytest.mark.parametrize(
    'row, stop_after',
    [(ROWS[1], 3), (ROWS[2], 1)],
    ids=['rtmpose-t study recipe', 'mobilenetv2 two-class spatial'],
)
def test_a_stopped_run_resumes_to_the_run_that_did_not_stop(
    row, stop_after, tiny_faces, tmp_path, monkeypatch
):
    # the checkout moves on at every look (a queue pulling mid-run): each run
    # and its checkpoints name the commit as it started
    looks = iter(range(100))
    monkeypatch.setattr(study, 'commit', lambda: f'commit{next(looks)}')
    whole = study.train_and_evaluate(row_config(row, 0, tiny_faces, tmp_path / 'whole'))
    assert whole['resumed'] == []
    assert whole['commit'] == 'commit0'
    final = torch.load(tmp_path / 'whole' / f'epoch_{row.epochs}.pth', weights_only=False)
    assert final[study.RUN_STATE]['commit'] == 'commit0'

    work_dir = tmp_path / 'stopped' / 'run'
    with pytest.raises(StoppedError):
        study.train_and_evaluate(stopping_config(row, tiny_faces, work_dir, stop_after))
    left = sorted(p.name for p in work_dir.glob('epoch_*.pth'))
    assert left[-1] == f'epoch_{stop_after}.pth'
    resumed = study.train_and_evaluate(stopping_config(row, tiny_faces, work_dir, stop_after))

    assert resumed['resumed'] == [dict(epoch=stop_after, commit='commit1')]
    assert resumed['commit'] == 'commit2'
    assert len(resumed['nme']) == row.epochs
    assert [round(x, 3) for x in resumed['nme']] == [round(x, 3) for x in whole['nme']]
    a, b = final_weights(tmp_path / 'whole', row.epochs), final_weights(work_dir, row.epochs)
    changed = [k for k in a if not torch.equal(a[k], b[k])]
    assert not changed, f'{len(changed)} tensors differ, e.g. {changed[:3]}'
    # the finished run keeps its last checkpoint only, and is not resumed again
    assert [p.name for p in work_dir.glob('epoch_*.pth')] == [f'epoch_{row.epochs}.pth']
    again = stopping_config(row, tiny_faces, work_dir, stop_after)
    fingerprint = study.config_fingerprint(again)
    assert study.resumable_checkpoint(work_dir, fingerprint, row.epochs) is None


def save(work_dir: Path, epoch: int, fingerprint: str = 'f' * 16) -> Path:
    path = work_dir / f'epoch_{epoch}.pth'
    state = dict(fingerprint=fingerprint, nme=[], redecoded={}, seconds=1.0, resumed=[])
    torch.save({'meta': dict(epoch=epoch), study.RUN_STATE: state}, path)
    return path


def test_only_a_stopped_run_of_the_same_config_and_machine_resumes(tmp_path):
    assert study.resumable_checkpoint(tmp_path, 'f' * 16, 10) is None  # nothing there
    save(tmp_path, 3)
    assert study.resumable_checkpoint(tmp_path, 'f' * 16, 10) == tmp_path / 'epoch_3.pth'
    # another config, or the same on another machine kind: trained anew
    assert study.resumable_checkpoint(tmp_path, 'e' * 16, 10) is None
    # a finished run (a rerun trains anew), and a checkpoint of no study run
    save(tmp_path, 10)
    assert study.resumable_checkpoint(tmp_path, 'f' * 16, 10) is None
    torch.save({'meta': dict(epoch=4)}, tmp_path / 'epoch_10.pth')
    assert study.resumable_checkpoint(tmp_path, 'f' * 16, 10) is None


def test_a_rerun_stopped_mid_way_resumes_beside_the_last_runs_final_checkpoint(tmp_path):
    final = save(tmp_path, 10)
    os.utime(final, ns=(1, 1))  # written long before the rerun's
    save(tmp_path, 3)
    assert study.resumable_checkpoint(tmp_path, 'f' * 16, 10) == tmp_path / 'epoch_3.pth'


def test_a_checkpoint_cut_off_mid_write_gives_way_to_the_one_before(tmp_path, capsys):
    save(tmp_path, 4)
    cut = save(tmp_path, 5)
    whole = cut.read_bytes()
    cut.write_bytes(whole[: len(whole) // 2])
    assert study.resumable_checkpoint(tmp_path, 'f' * 16, 10) == tmp_path / 'epoch_4.pth'
    assert 'epoch_5.pth does not load' in capsys.readouterr().out
    # the files stay as they were: resuming decides, it deletes nothing
    assert sorted(p.name for p in tmp_path.iterdir()) == ['epoch_4.pth', 'epoch_5.pth']
    assert len(cut.read_bytes()) == len(whole) // 2


def test_the_fingerprint_follows_the_config_and_the_machine(tiny_faces, tmp_path, monkeypatch):
    cfg = row_config(ROWS[2], 0, tiny_faces, tmp_path)
    first = study.config_fingerprint(cfg)
    assert study.config_fingerprint(row_config(ROWS[2], 0, tiny_faces, tmp_path)) == first
    assert study.config_fingerprint(row_config(ROWS[2], 1, tiny_faces, tmp_path)) != first
    monkeypatch.setattr(study, 'machine', lambda: 'Another CPU (x86_64 AVX2), 2 cores, no GPU')
    assert study.config_fingerprint(cfg) != first
