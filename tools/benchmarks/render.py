"""The one renderer: every generated page, from the stored results alone.

    python -m tools.benchmarks.run_all --render

From ``docs/benchmarks/<name>.json`` (one file per study, each loaded once)
it writes docs/benchmarks.md with its figures, the README's generated
blocks, and each config folder's results page and ``metafile.yml`` with
``model-index.yml`` (their entries from ``model_index``). A study never
writes a page: it measures into its file and renders its section,
``section(result, results)``, where ``results`` holds every study's file.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from rr_mmpose.h3r.published import PAPER

from . import (
    codec_speed,
    complexity,
    convergence,
    costs,
    edge,
    flip_test,
    h3r_pipeline_parity,
    h3r_released_models,
    model_index,
    onnx_latency,
    quality,
    quantization,
    resolution,
    rows,
    rtmpose,
    rtmpose_budget,
    study,
    target_placement,
    topk,
    video,
)

# In the order of docs/benchmarks.md. The RTMPose budget search renders as
# a subsection of the RTMPose study, whose recipe it chose.
SECTIONS = {
    'resolution': resolution,
    'rtmpose': rtmpose,
    'flip_test': flip_test,
    'topk': topk,
    'convergence': convergence,
    'costs': costs,
    'quality': quality,
    'video': video,
    'quantization': quantization,
    'target_placement': target_placement,
    'codec_speed': codec_speed,
    'complexity': complexity,
    'onnx_latency': onnx_latency,
    'edge': edge,
    'h3r_released_models': h3r_released_models,
    'h3r_pipeline_parity': h3r_pipeline_parity,
}
STUDIES = {**SECTIONS, 'rtmpose_budget': rtmpose_budget}
# The sections that show a figure (``docs/benchmarks/<name>.png``); only the
# renderer draws them, from the stored results.
FIGURES = {name: module for name, module in SECTIONS.items() if hasattr(module, 'figure')}
DOC = Path('docs/benchmarks.md')
README = Path('README.md')


def load_results() -> dict[str, dict | None]:
    """Every study's stored result, by name (``None``: not measured)."""
    return {name: study.load(name) for name in STUDIES}


def render_section(name: str, results: dict) -> str:
    module, result = SECTIONS[name], results.get(name)
    if result is None and hasattr(module, 'ROWS'):
        result = dict(runs=[])  # a training study says what it will measure
    if result is None:
        return f'## {module.TITLE}\n\n' + study.provenance_lines([], study.rerun_command(name))
    heading, _, body = module.section(result, results).partition('\n')
    if 'provenance' in result:  # the training studies tag each run in their body
        tag = result['provenance']
        body = '\n' + study.provenance_lines([tag], study.rerun_command(name, tag)) + '\n' + body
    return heading + '\n' + body


def benchmarks_page(results: dict) -> str:
    header = [
        '# Benchmarks',
        '',
        study.GENERATED_NOTE,
        '',
        'Every section is rendered from its result file in `docs/benchmarks/` and says when, '
        'on which machine and by which command it was measured. Timings that a table compares '
        'were measured side by side in one run, on the CPU its section names; absolute times '
        'depend on the machine.',
        '',
        *(f'- [{module.TITLE}](#{name})' for name, module in SECTIONS.items()),
    ]
    sections = []
    for name in SECTIONS:
        sections += ['', f'<a id="{name}"></a>', '', render_section(name, results)]
    return '\n'.join(header + sections) + '\n'


# The README's one results table: randomized rounding against the stock
# codecs of each family at convergence, at each input (the rows the
# expectations of both studies rest on; HRNet and the stride ablation are
# in docs/benchmarks.md).
README_ROWS = [
    *(('resolution', 'mobilenetv2', 256, o) for o in (resolution.RR, *resolution.PEERS)),
    *(('resolution', 'mobilenetv2', 128, o) for o in (resolution.RR, *resolution.PEERS)),
    ('rtmpose', 'rtmpose-t', 128, 'SimCCLabel s=2'),
    ('rtmpose', 'rtmpose-t', 128, 'RR s=2'),
    ('rtmpose', 'rtmpose-t', 128, 'SimCCLabel s=0.5'),
    ('rtmpose', 'rtmpose-t', 128, 'RR s=0.5'),
    *(('resolution', 'mobilenetv2', 64, o) for o in (resolution.RR, *resolution.PEERS)),
    ('rtmpose', 'rtmpose-t', 64, 'SimCCLabel s=2'),
    ('rtmpose', 'rtmpose-t', 64, 'SimCCLabel s=1'),  # RR s=1's equal-ratio pair
    ('rtmpose', 'rtmpose-t', 64, 'RR s=1'),
]


def readme_table(results: dict) -> str:
    found = {}
    for name, module in (('resolution', resolution), ('rtmpose', rtmpose)):
        stored = results.get(name)
        for s in module.summarise(stored['runs']) if stored else []:
            if s['stride'] == rows.PAPER_STRIDE:
                found[name, s['arch'], s['input'], s['row']] = s
    if not found:
        return (
            'Not measured yet: `python -m tools.benchmarks.resolution` and '
            '`python -m tools.benchmarks.rtmpose` (hours on 2 cores).'
        )
    costs = {rows.cost_key(c): c for c in (results.get('costs') or {}).get('rows', [])}
    lines = [
        '| backbone | input | objective | NME % (mean ± half-spread) | seeds | GFLOPs |',
        '|---|---|---|---|---|---|',
    ]
    for key in README_ROWS:
        s = found.get(key)
        if s is not None:
            cost = costs.get(rows.cost_key(s))
            gflops = f'{cost["gflops"]:.3f}' if cost else '-'
            lines.append(
                f'| {key[1]} | {key[2]} | {key[3]} | {rows.final_nme(s)} | '
                f'{len(s["seeds"])} | {gflops} |'
            )
    missing = [f'{k[1]} {k[2]} {k[3]}' for k in README_ROWS if k not in found]
    rtmpose_runs = (results.get('rtmpose') or {}).get('runs', [])
    lines += [
        '',
        README_LEGEND + placement_caveat(results),
        '',
        readme_sentence(found, rtmpose_runs),
    ]
    if missing:
        lines[-1] += f' Not measured yet: {", ".join(missing)}.'
    return '\n'.join(lines)


README_LEGEND = (
    f'`{resolution.RR}`: randomized rounding on heatmaps, with the shipped loss; `RR s=…`: '
    "`RandomizedRoundingSimCC` at SimCC split ratio s; `SimCCLabel`: RTMPose's stock labels; "
    f"`{rows.DARK}`: the MSRA-trained weights decoded with DARK; `DARK`: trained as MMPose's "
    "DARK configs train (unbiased targets and decoding); `UDP`: MMPose's UDP. "
    "±: half the range of the seeds' final NMEs."
)


def placement_caveat(results: dict) -> str:
    """The legend's word on MMPose's misplaced MSRA and UDP targets."""
    placed = results.get('target_placement')
    shares = [
        f'{100 * value:.0f} % at {size} input'
        for size in (64, 128, 256)
        if (value := target_placement.share(placed, size, 4, 'MSRA')) is not None
    ]
    if not shares:
        return ''
    return (
        f' MSRA and UDP are MMPose {placed["mmpose"]} as shipped, which at sigma '
        f'{placed["sigma_cells"]:g} places the targets of keypoints near the left and top border '
        f'a cell off (MSRA: {", ".join(shares)}; [why](docs/benchmarks.md#target_placement)); '
        "DARK's targets stay in place."
    )


def readme_sentence(found: dict, rtmpose_runs: list[dict]) -> str:
    """What the table shows, in one sentence: where randomized rounding ends
    against the best measured stock heatmap codec of MobileNetV2 at each
    input (the means), and its paired differences with stock SimCC in
    RTMPose-t (the pairs of the RTMPose section)."""
    gaps = []  # (input, RR's mean minus the best peer's, that peer, fewest seeds)
    for size in (256, 128, 64):
        rr = found.get(('resolution', 'mobilenetv2', size, resolution.RR))
        peers = {
            name: found[key]
            for name in resolution.PEERS
            if (key := ('resolution', 'mobilenetv2', size, name)) in found
        }
        if rr and peers:
            best = min(peers, key=lambda name: peers[name]['final_mean'])
            seeds = min(len(rr['seeds']), len(peers[best]['seeds']))
            gaps.append((size, rr['final_mean'] - peers[best]['final_mean'], best, seeds))
    said = []
    if gaps:

        def side(gap: float) -> str:  # as printed, to 2 decimals
            return 'below' if round(gap, 2) < 0 else 'above' if round(gap, 2) > 0 else 'level with'

        by = [
            f'{side(gap)} {peer} at {size} input ({abs(gap):.2f} points'
            f'{", one seed" if seeds == 1 else ""})'
            for size, gap, peer, seeds in gaps
        ]
        said.append(
            'with MobileNetV2, randomized rounding ends, against the best measured stock codec '
            f'on the means, {rows.listed(by)}'
        )
    pairs = [
        f'{" ± ".join(rows.paired_figures(d))} points for {ours} against {theirs} at {size} '
        f'input ({len(d["seeds"])} seeds, {rows.paired_verdict(d)}{rows.across_cpus_note(d)})'
        for ours, theirs, size, d in rtmpose.paired_differences(rtmpose_runs)
    ]
    if pairs:
        said.append(
            'with RTMPose-t, randomized rounding minus stock SimCC, paired by seed (± its '
            f'standard error), is {rows.listed(pairs)}'
        )
    if not said:
        return 'No pair of randomized rounding and a stock codec is measured yet.'
    return f'On the generated faces, {"; ".join(said)}.'


# The README's quality tables: the 128-input models, MobileNetV2 (the model
# the demo trains) and RTMPose-t (the other rows are in docs/benchmarks.md).
README_QUALITY = {('mobilenetv2', 128), ('rtmpose-t', 128)}


def readme_quality_tables(results: dict) -> str | None:
    found, clips = results.get('quality'), results.get('video')
    if found is None or clips is None:
        return None
    chosen = [
        s for s in quality.summarise(found['runs']) if (s['arch'], s['input']) in README_QUALITY
    ]
    steady = dict(
        clips, rows=[r for r in clips['rows'] if (r['arch'], r['input']) in README_QUALITY]
    )
    caveat = rows.retrained_paragraph(steady['rows'], results, video.COMMAND)
    goals = quality.goal_lines(chosen)
    return '\n'.join(
        [
            quality.table(chosen),
            *(['', goals_intro(), '', *goals] if goals else []),
            '',
            video.table(steady),
            *caveat,
        ]
    )


def goals_intro() -> str:
    return (
        f'Randomized rounding against its goals (ECE at most {quality.GOAL_ECE:g}, each AUROC at '
        "least every peer's; [details](docs/benchmarks.md#quality)) and the peers' best figures:"
    )


# Generated blocks of the README, between <!-- NAME:begin ... --> and
# <!-- NAME:end -->.
README_BLOCKS = {'results': readme_table, 'quality': readme_quality_tables}


def readme(text: str, results: dict) -> str:
    """``text`` (the README) with each generated block rendered anew."""
    for name, make in README_BLOCKS.items():
        block = re.compile(rf'(<!-- {name}:begin[^>]*-->\n).*?(<!-- {name}:end -->)', re.DOTALL)
        made = make(results)
        if made is not None and block.search(text):
            text = block.sub(lambda m, made=made: m[1] + made + '\n' + m[2], text)
    return text


def write_model_index(results: dict) -> list[Path]:
    """Every config folder's results page and metafile, and model-index.yml."""
    collection = dict(
        Name=model_index.COLLECTION, Paper=dict(Title=PAPER['title'], URL=PAPER['url'])
    )
    yaml_header = f'# Generated by `{study.GENERATED_BY}`; do not edit.\n'
    written = []
    for folder, models in sorted(model_index.entries(results['complexity'], results).items()):
        meta = dict(Collections=[collection], Models=models)
        metafile = folder / 'metafile.yml'
        metafile.write_text(yaml_header + yaml.safe_dump(meta, sort_keys=False, width=100))
        page = folder / model_index.page_name(folder)
        page.write_text(model_index.page(folder, models))
        written += [metafile, page]
    index = dict(Import=[p.as_posix() for p in written if p.name == 'metafile.yml'])
    Path('model-index.yml').write_text(yaml_header + yaml.safe_dump(index, sort_keys=False))
    return [*written, Path('model-index.yml')]


def render() -> None:
    """Write every generated file from the stored results (paths relative
    to the working directory, the repository root)."""
    results = load_results()
    for name, module in FIGURES.items():  # derived from the stored results: kept current
        if results.get(name) is not None:
            module.figure(results[name], results, study.OUT / f'{name}.png')
    DOC.write_text(benchmarks_page(results))
    if results.get('complexity') is not None:
        write_model_index(results)
    README.write_text(readme(README.read_text(), results))
