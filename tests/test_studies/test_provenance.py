"""Every stored result can be rerun from the repository by the one command
stored with it: each tag names its date, its machine with the CPU's
instruction sets, its commit, and a command of its own study that today's
command line accepts."""

import importlib
import json
import re
import shlex
import sys

import pytest

from tools.benchmarks import render, study

from ..helpers import REPO

ISA = re.compile(r'\((x86_64|aarch64|arm64)\b[^)]*\)')


def stored_tags(name: str) -> list[dict]:
    """Study ``name``'s provenance tags: the file's own, or each run's."""
    result = json.loads((REPO / study.OUT / f'{name}.json').read_text())
    tags = [result['provenance']] if 'provenance' in result else []
    return tags + [r['provenance'] for r in result.get('runs', []) if 'provenance' in r]


STORED = sorted(p.stem for p in (REPO / study.OUT).glob('*.json'))


class RanError(Exception):
    """Raised where the study would start measuring."""


def accepts(command: str, name: str, monkeypatch) -> None:
    """``command`` is study ``name``'s, and its command line parses today."""
    words = shlex.split(command)
    assert words[:2] == ['python', '-m'], command
    module_name, args = words[2], words[3:]
    if module_name == 'tools.benchmarks.run_all':  # runs `python -m tools.benchmarks.<name>`
        assert args == ['--only', name], command
        return
    assert module_name == f'tools.benchmarks.{name}', command
    module = importlib.import_module(module_name)
    if not hasattr(module, 'main'):  # a study without options
        assert args == [], command
        return

    def ran(*args, **kwargs):
        raise RanError

    with monkeypatch.context() as patch:
        patch.setattr(module, 'run', ran)
        patch.setattr(sys, 'argv', [module_name, *args])
        with pytest.raises(RanError):
            module.main()


def test_every_stored_file_is_a_study():
    assert set(STORED) <= set(render.STUDIES)


@pytest.mark.parametrize('name', STORED)
def test_each_stored_result_says_when_where_at_which_commit_and_how(name, monkeypatch):
    tags = stored_tags(name)
    assert tags, f'{name}.json carries no provenance'
    for tag in tags:
        assert re.fullmatch(r'\d{4}-\d\d-\d\d', tag['date']), (name, tag)
        assert ISA.search(tag['machine']), (name, tag['machine'])
        assert re.fullmatch(r'[0-9a-f]{7,40}', tag.get('commit') or ''), (name, tag)
    for command in sorted({t['command'] for t in tags}):
        accepts(command, name, monkeypatch)


def test_the_check_has_teeth(monkeypatch):
    """A command with an option the study no longer has, or another
    study's command, is refused."""
    with pytest.raises(SystemExit):
        accepts(
            'python -m tools.benchmarks.rtmpose_budget --out /tmp/x', 'rtmpose_budget', monkeypatch
        )
    with pytest.raises(SystemExit):
        accepts(
            "python -m tools.benchmarks.resolution --rows 'no such row'", 'resolution', monkeypatch
        )
    with pytest.raises(AssertionError):
        accepts('python -m tools.benchmarks.run_all --only edge', 'convergence', monkeypatch)


def test_a_run_through_uncommitted_code_is_tagged_dirty(tmp_path, monkeypatch):
    """A new module not yet committed under the code makes the commit
    ``-dirty``, as an edited one does; files outside the code do not."""
    import subprocess

    def git(*args: str) -> None:
        subprocess.run(['git', *args], cwd=tmp_path, check=True, capture_output=True)

    (tmp_path / 'tools').mkdir()
    (tmp_path / 'tools' / 'study.py').write_text('x = 1\n')
    git('init', '-q')
    git('add', '.')
    git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'code')
    monkeypatch.chdir(tmp_path)
    assert not study.commit().endswith('-dirty')
    (tmp_path / 'queue.log').write_text('a log beside the code\n')
    assert not study.commit().endswith('-dirty')
    (tmp_path / 'tools' / 'new_study.py').write_text('y = 2\n')
    assert study.commit().endswith('-dirty')
