"""The one renderer: docs/benchmarks.md, the README's generated blocks, the
config folders' results pages and metafiles, and model-index.yml are
exactly what ``tools.benchmarks.render`` writes from the stored results
(``run_all --render``), so no figure in them was typed by hand or left
behind by an older result; on small fixtures, the renderer writes every
kind of file it owns."""

import inspect
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from tools.benchmarks import model_index, render, study

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
    shutil.copy(REPO / render.DOC, tmp_path / render.DOC)
    monkeypatch.chdir(tmp_path)
    render.render()
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
    """Each image docs/benchmarks.md shows is drawn by ``render.render``
    from its study's ``figure`` and the stored result; the repository
    holds no other image there."""
    shown = {f'{name}.png' for name in render.FIGURES}
    page = (REPO / render.DOC).read_text()
    assert set(re.findall(r'\]\(benchmarks/([\w.-]+\.png)\)', page)) == shown
    assert {p.name for p in (REPO / study.OUT).glob('*.png')} == shown
    for image in (rendered / study.OUT).glob('*.png'):
        image.unlink()
    render.render()  # in the scratch copy
    assert {p.name for p in (rendered / study.OUT).glob('*.png')} == shown


@pytest.mark.parametrize('name', sorted(render.STUDIES))
def test_every_study_has_the_one_interface(name):
    """``python -m tools.benchmarks.<name>`` measures into its JSON (what
    ``run_all`` runs), ``run`` returns the stored result, and
    ``section(result, results)`` renders it, given every study's stored
    file; its heading is the study's ``TITLE``."""
    module = render.STUDIES[name]
    assert list(inspect.signature(module.section).parameters) == ['result', 'results']
    assert 'TITLE' in vars(module) or name == 'rtmpose_budget'  # a subsection
    assert callable(module.run)
    assert "if __name__ == '__main__':" in inspect.getsource(module)


CONFIG = 'face_2d_keypoint/rr_heatmap/300w/td-hm_mobilenetv2_rr-8xb64-60e_300w-p2-128x128.py'
README_FIXTURE = """# A plugin

Hand-written text stays.

<!-- results:begin (generated) -->
stale
<!-- results:end -->

More hand-written text.
"""


@pytest.fixture
def fixtures(tmp_path, monkeypatch) -> Path:
    """A scratch repository with two stored results (a training study and
    the complexity count of one shipped config) and a README with a
    generated block; every other study is unmeasured."""
    from tools.benchmarks import resolution

    from .test_sections import runs_of, tag

    by = {(r.arch, r.input, r.stride, r.objective): r for r in resolution.ROWS}
    runs = runs_of(by['mobilenetv2', 128, 4, resolution.RR], {0: 2.0, 1: 2.2})
    runs += runs_of(by['mobilenetv2', 128, 4, 'MSRA'], {0: 3.0, 1: 3.4})
    runs += runs_of(by['mobilenetv2', 128, 4, 'MSRA'], {0: 2.5, 1: 2.9}, 'MSRA + DARK')
    (tmp_path / study.OUT).mkdir(parents=True)
    (tmp_path / study.OUT / 'resolution.json').write_text(json.dumps(dict(runs=runs)))
    counted = dict(config=CONFIG, params_m=0.59, gflops=0.118, published=None)
    complexity = dict(rows=[counted], provenance=tag(0))
    (tmp_path / study.OUT / 'complexity.json').write_text(json.dumps(complexity))
    (tmp_path / 'configs' / CONFIG).parent.mkdir(parents=True)
    (tmp_path / 'README.md').write_text(README_FIXTURE)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_renderer_writes_every_file_it_owns_from_small_fixtures(fixtures):
    before = {p for p in fixtures.rglob('*') if p.is_file()}
    render.render()
    written = {p.relative_to(fixtures).as_posix() for p in fixtures.rglob('*') if p.is_file()}
    folder = 'configs/face_2d_keypoint/rr_heatmap/300w'
    assert written - {p.relative_to(fixtures).as_posix() for p in before} == {
        'docs/benchmarks.md',
        f'{folder}/metafile.yml',
        f'{folder}/rr_heatmap_300w.md',
        'model-index.yml',
    }
    page = (fixtures / render.DOC).read_text()
    # every section, in order, under its anchor; the measured ones with their figures
    anchors = re.findall(r'<a id="(\w+)"></a>', page)
    assert anchors == list(render.SECTIONS)
    assert '| mobilenetv2 | 128 | two-class spatial | 2.10 ± 0.10 | 2 | 60, 60 |' in page
    assert '- mobilenetv2 128: RR minus MSRA -1.10 ± 0.10 points (seeds 0, 1)' in page
    # an unmeasured study: its own heading and the command that measures it
    assert '## Codec speed\n\n- Not measured yet: `python -m tools.benchmarks.codec_speed`' in page
    readme = (fixtures / 'README.md').read_text()
    assert 'stale' not in readme
    assert '| mobilenetv2 | 128 | two-class spatial | 2.10 ± 0.10 | 2 | - |' in readme  # no costs
    assert 'below MSRA + DARK at 128 input (0.60 points)' in readme
    assert readme.startswith('# A plugin\n\nHand-written text stays.\n')
    assert readme.endswith('<!-- results:end -->\n\nMore hand-written text.\n')
    meta = yaml.safe_load((fixtures / folder / 'metafile.yml').read_text())
    (model,) = meta['Models']
    assert model['Config'] == f'configs/{CONFIG}'
    assert model['Metadata']['FLOPs'] == '0.118G'
    generated = [r for r in model['Results'] if r['Dataset'] == model_index.GENERATED]
    assert generated[0]['Metrics']['NME'] == 2.1
    assert (
        'mean over seeds 0 and 1 (docs/benchmarks.md#resolution)'
        in (model['Metadata']['Generated Faces Results From'])
    )
    assert yaml.safe_load((fixtures / 'model-index.yml').read_text()) == dict(
        Import=[f'{folder}/metafile.yml']
    )


def test_rendering_twice_changes_nothing(fixtures):
    render.render()
    first = {p: p.read_bytes() for p in fixtures.rglob('*') if p.is_file()}
    render.render()
    assert {p: p.read_bytes() for p in fixtures.rglob('*') if p.is_file()} == first


def test_a_section_measured_on_weights_retrained_since_says_so():
    """``video`` stores which run's weights it measured; once that run is
    retrained (another digest), or where the weights were not recorded,
    the section names the row."""
    from tools.benchmarks import video

    def entry(row: str, digest: str | None) -> dict:
        weights = dict(row=row, stride=4, epochs=60, recipe=None, seed=0, commit='abc1234')
        weights['checkpoint_sha256'] = digest
        out = dict(study='resolution', arch='mobilenetv2', input=128, row=row, weights=weights)
        out |= dict(nme=3.0, jitter=0.1, staircase=0.0, lag=0.0)
        return out | dict(one_euro_nme=1.1, one_euro_jitter=0.1, one_euro_lag=1.0)

    def stored(msra_digest: str) -> dict:
        run = dict(arch='mobilenetv2', input=128, stride=4, epochs=60, seed=0)
        runs = [dict(run, row='MSRA', checkpoint_sha256=msra_digest)]
        return dict(resolution=dict(runs=runs + [dict(run, row='UDP', checkpoint_sha256='cccc')]))

    result = dict(clips=1, frames=2, size=64, one_euro=dict(type='OneEuroFilter'))
    result['rows'] = [entry('MSRA', 'aaaa'), entry('UDP', 'cccc')]
    assert 'retrained since' not in video.section(result, stored('aaaa'))
    text = video.section(result, stored('bbbb'))
    assert 'retrained since, or that were not recorded' in text
    assert 'measures the stored ones): `mobilenetv2 128 MSRA`.' in text
    unrecorded = dict(result, rows=[entry('MSRA', None), entry('UDP', None)])
    assert 'measures the stored ones): every row.' in video.section(unrecorded, stored('aaaa'))
    twenty = entry('MSRA', 'aaaa')  # the same digest, but a run of another schedule
    twenty['weights'] = dict(twenty['weights'], epochs=20)
    assert 'every row' in video.section(dict(result, rows=[twenty]), stored('aaaa'))
