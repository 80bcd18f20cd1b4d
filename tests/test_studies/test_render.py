"""The one renderer: docs/benchmarks.md, the README's generated blocks, the
config folders' results pages and metafiles, and model-index.yml are
exactly what ``run_all --render`` writes from the stored results, so no
figure in them was typed by hand or left behind by an older result."""

import inspect
import re
import shutil
from pathlib import Path

import pytest

from tools.benchmarks import run_all, study

from ..helpers import REPO


def texts(root: Path) -> dict[str, str]:
    """The rendered text files under ``root``, by relative path."""
    paths = [root / 'README.md', root / 'docs' / 'benchmarks.md', root / 'model-index.yml']
    paths += sorted((root / 'configs').rglob('metafile.yml'))
    paths += sorted((root / 'configs').rglob('*.md'))
    return {str(p.relative_to(root)): p.read_text() for p in paths}


@pytest.fixture
def rendered(tmp_path, monkeypatch) -> Path:
    """The repository's stored results and rendered files, rendered again
    in a scratch copy."""
    for name in ('README.md', 'model-index.yml'):
        shutil.copy(REPO / name, tmp_path / name)
    shutil.copytree(REPO / 'configs', tmp_path / 'configs')
    shutil.copytree(REPO / study.OUT, tmp_path / study.OUT)
    shutil.copy(REPO / run_all.DOC, tmp_path / run_all.DOC)
    monkeypatch.chdir(tmp_path)
    run_all.render()
    return tmp_path


def test_the_rendered_docs_are_the_render_of_the_stored_results(rendered):
    committed, again = texts(REPO), texts(rendered)
    assert committed.keys() == again.keys()
    stale = [path for path in committed if committed[path] != again[path]]
    assert stale == [], 'rerun `python -m tools.benchmarks.run_all --render`'


def test_rendering_writes_nothing_but_what_it_owns(rendered):
    """Rendering reads the result files and leaves them as they were."""
    for path in sorted((REPO / study.OUT).glob('*.json')):
        assert (rendered / study.OUT / path.name).read_text() == path.read_text(), path.name


def test_the_renderer_draws_every_figure_the_page_shows_and_no_other(rendered):
    """Each image docs/benchmarks.md shows is drawn by ``run_all.render``
    from its study's ``figure`` and the stored result; the repository
    holds no other image there."""
    shown = {f'{name}.png' for name in run_all.FIGURES}
    page = (REPO / run_all.DOC).read_text()
    assert set(re.findall(r'\]\(benchmarks/([\w.-]+\.png)\)', page)) == shown
    assert {p.name for p in (REPO / study.OUT).glob('*.png')} == shown
    for image in (rendered / study.OUT).glob('*.png'):
        image.unlink()
    run_all.render()  # in the scratch copy
    assert {p.name for p in (rendered / study.OUT).glob('*.png')} == shown


@pytest.mark.parametrize('name', sorted(run_all.STUDIES))
def test_every_study_has_the_one_interface(name):
    """``python -m tools.benchmarks.<name>`` measures into its JSON (what
    ``run_all`` runs), ``run`` returns the stored result, and
    ``section(result)`` renders it."""
    module = run_all.STUDIES[name]
    assert list(inspect.signature(module.section).parameters) == ['result']
    assert callable(module.run)
    assert "if __name__ == '__main__':" in inspect.getsource(module)
