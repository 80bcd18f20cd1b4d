"""One source for each figure: what the README, the docstrings, the config
comments and the model index quote agrees with the generated benchmark
results (docs/benchmarks.md and docs/benchmarks/*.json) or with H3R's
published figures (rr_mmpose.h3r.published)."""

import json
import re
from pathlib import Path

import pytest
import yaml

from rr_mmpose.h3r.published import RELEASED_MODELS, published_for_config
from tools.benchmarks.model_index import GENERATED, converged_results, generated_nme

from ..helpers import CONFIGS, REPO

BENCHMARKS = (REPO / 'docs' / 'benchmarks.md').read_text()
README = (REPO / 'README.md').read_text()
PUBLISHED = {
    f'{value:.2f}'
    for m in RELEASED_MODELS.values()
    for value in (m.params_m, m.gflops, m.nme)
    if value is not None
}
# A measured quantity: a decimal number with a unit ('2.87 %', '0.563 px', '9.0 ms').
FIGURE = re.compile(r'(?<![\w.])(\d+\.\d+)\s?(%|px|ms|GFLOPs|G\b|M\b|points\b)')


def figures(text: str) -> list[str]:
    return [number for number, _ in FIGURE.findall(text)]


def quoted_from_a_source(number: str) -> bool:
    return number in PUBLISHED or re.search(rf'(?<![\d.]){re.escape(number)}(?!\d)', BENCHMARKS)


GENERATED_BLOCK = re.compile(r'<!-- (\w+):begin[^>]*-->\n.*?<!-- \1:end -->', re.S)


def test_every_figure_in_the_readme_is_quoted_from_a_generated_file():
    """Figures with a unit anywhere in the README outside its generated
    blocks, which the tests below check against their renderers: a
    rendered sentence may compute a figure (a difference of two means)
    that the page does not print."""
    assert figures('quoted 2.87 % and 0.5 px') == ['2.87', '0.5']  # the pattern works
    typed = GENERATED_BLOCK.sub('', README)
    assert [n for n in figures(typed) if not quoted_from_a_source(n)] == []


def test_no_figure_is_typed_by_hand_in_the_readme_or_the_docs():
    """Outside the README's generated blocks and docs/benchmarks.md, no
    decimal figure with a unit (``FIGURE``) is written at all: the pages
    link the figure instead, so no typed number can agree with the results
    by coincidence and then go stale."""
    assert len(GENERATED_BLOCK.findall(README)) == 2
    by_hand = {'README.md': figures(GENERATED_BLOCK.sub('', README))}
    for doc in sorted((REPO / 'docs').glob('*.md')):
        if doc.name != 'benchmarks.md':  # the generated page
            by_hand[doc.name] = figures(doc.read_text())
    assert {name: found for name, found in by_hand.items() if found} == {}


def python_sources() -> list[Path]:
    return sorted((REPO / 'rr_mmpose').rglob('*.py')) + sorted(CONFIGS.rglob('*.py'))


@pytest.mark.parametrize('path', python_sources(), ids=lambda p: str(p.relative_to(REPO)))
def test_figures_in_docstrings_and_comments_are_quoted_from_a_source(path):
    stray = [n for n in figures(path.read_text()) if not quoted_from_a_source(n)]
    assert stray == []


def test_every_section_says_how_to_rerun_it_and_when_where_and_at_which_commit():
    """Each section shows once the repository command that reproduces it,
    then when, on which machines and at which commits its runs were made,
    each line short enough to read."""
    sections = re.split(r'\n## ', BENCHMARKS)[1:]
    assert len(sections) >= 6
    for section in sections:
        name = section.splitlines()[0]
        if re.search(r'^- Not measured yet: ', section, re.M):
            continue
        commands = re.findall(
            r'^- Rerun: `(python -m tools\.benchmarks\.\w+[^`]*)`$', section, re.M
        )
        assert commands, name
        assert re.search(r'^- Measured: \d{4}-\d\d-\d\d', section, re.M), name
        assert re.search(r'^- On: .+', section, re.M), name
    provenance = [
        line for line in BENCHMARKS.splitlines() if re.match(r'- (Rerun|Measured|On|Note):', line)
    ]
    assert provenance and max(map(len, provenance)) <= 200


def test_each_section_reruns_with_its_own_study():
    """The command a section shows first is its own study's, run as a user
    runs it, and it is shown once."""
    sections = re.findall(r'<a id="(\w+)"></a>\s*\n## [^\n]*\n(.*?)(?=<a id=|\Z)', BENCHMARKS, re.S)
    assert len(sections) >= 10
    for name, body in sections:
        commands = re.findall(r'^- (?:Rerun|Not measured yet): `([^`]+)`', body, re.M)
        assert commands and re.match(rf'python -m tools\.benchmarks\.{name}\b', commands[0]), name
        assert commands.count(commands[0]) == 1, name


def test_the_readme_results_table_is_the_generated_one():
    """The README's results table is generated from the converged runs of
    the resolution and RTMPose studies, figure for figure."""
    from tools.benchmarks import render

    block = re.search(r'<!-- results:begin[^>]*-->\n(.*?)<!-- results:end -->', README, re.DOTALL)
    assert block, 'README lost its generated results block'
    assert block[1].strip() == render.readme_table(render.load_results()).strip()


def test_the_readme_quality_tables_are_rows_of_the_generated_ones():
    """The README's quality and video tables are excerpts: each row, the
    headers included, is a line of docs/benchmarks.md, which the same
    functions render from the result files."""
    block = re.search(r'<!-- quality:begin[^>]*-->\n(.*?)<!-- quality:end -->', README, re.DOTALL)
    assert block, 'README lost its generated quality block'
    rows = [line for line in block[1].splitlines() if line.startswith('|')]
    assert any('two-class spatial, calibrated' in row for row in rows), rows
    assert any('RR s=2' in row for row in rows), 'the RTMPose-t rows left the README'
    lines = set(BENCHMARKS.splitlines())
    assert [row for row in rows if row not in lines] == []


def metafiles() -> dict[str, dict]:
    index = yaml.safe_load((REPO / 'model-index.yml').read_text())
    return {name: yaml.safe_load((REPO / name).read_text()) for name in index['Import']}


def test_every_config_appears_in_exactly_one_metafile():
    listed = [m['Config'] for meta in metafiles().values() for m in meta['Models']]
    configs = sorted(p.relative_to(REPO).as_posix() for p in CONFIGS.rglob('*.py'))
    assert sorted(listed) == configs
    for name in metafiles():
        folder = (REPO / name).parent
        assert list(folder.glob('*_*.md')), f'{folder} has no results page'


def test_metafile_figures_are_the_published_and_counted_ones():
    counted = json.loads((REPO / 'docs/benchmarks/complexity.json').read_text())['rows']
    counted = {'configs/' + row['config']: row for row in counted}
    stored = {name: REPO / f'docs/benchmarks/{name}.json' for name in ('resolution', 'rtmpose')}
    converged = converged_results(
        {name: json.loads(path.read_text()) for name, path in stored.items() if path.is_file()}
    )
    for meta in metafiles().values():
        for model in meta['Models']:
            row = counted[model['Config']]
            assert model['Metadata']['Parameters'] == f'{row["params_m"]:.3f}M'
            assert model['Metadata']['FLOPs'] == f'{row["gflops"]:.3f}G'
            paper = published_for_config(model['Config'])
            published = [r for r in model.get('Results', []) if r['Dataset'] != GENERATED]
            if paper is None:
                assert not published
            else:
                assert published[0]['Metrics']['NME'] == paper.nme
                assert model['Weights'] == paper.url
            # the generated-faces figure is the converged study's, for the configs it trains
            trained = converged.get(model['Config'].removeprefix('configs/'))
            if trained is None:
                assert generated_nme(model) is None
            else:
                assert generated_nme(model) == round(trained['final_mean'], 2)


def test_every_config_h3r_released_a_model_for_links_its_weights():
    """One released model per config: the published one where there is one
    (the JD-trained LaPa HRNet-W18 shares its config with the P2 one, whose
    figures are published), else the one without figures (the LaPa
    HRNet-W32)."""
    weights = {
        model['Config'].removeprefix('configs/'): model.get('Weights')
        for meta in metafiles().values()
        for model in meta['Models']
    }
    for released in RELEASED_MODELS.values():
        urls = {m.url for m in RELEASED_MODELS.values() if m.config == released.config}
        assert weights[released.config] in urls, released.name
        paper = published_for_config(released.config)
        assert paper is None or weights[released.config] == paper.url
    page = (CONFIGS / 'face_2d_keypoint/rr_heatmap/lapa/rr_heatmap_lapa.md').read_text()
    (w32,) = [line for line in page.splitlines() if 'hrnetv2-w32' in line]
    assert RELEASED_MODELS['lapa/hrnet32_256x256_p2'].url in w32


def test_a_results_page_quotes_published_figures_only_where_there_are_some():
    for folder in ('generated_faces', 'coco_wholebody_face'):
        (page,) = (CONFIGS / 'face_2d_keypoint/rr_heatmap' / folder).glob('*_*.md')
        text = page.read_text()
        assert "H3R's published figure" not in text and 'H3R released no model for' in text
    text = (CONFIGS / 'face_2d_keypoint/rr_heatmap/wflw/rr_heatmap_wflw.md').read_text()
    assert "NME is H3R's published figure" in text


def test_the_count_of_h3r_models_the_docs_state_is_the_published_one():
    """'All 16' and its kin are counts of ``RELEASED_MODELS``, typed in prose."""
    texts = [README, (REPO / 'docs' / 'h3r.md').read_text()]
    counts = [
        int(n)
        for text in texts
        for n in re.findall(r'\b(?:[Aa]ll|published|for all) (\d+)\b', text)
    ]
    assert counts and set(counts) == {len(RELEASED_MODELS)}
