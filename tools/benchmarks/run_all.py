"""Measure the studies and render docs/benchmarks.md whole from their
results, with the date, machine and command of each section.

    python -m tools.benchmarks.run_all                  # measure everything (hours on 2 cores)
    python -m tools.benchmarks.run_all --only quantization codec_speed
    python -m tools.benchmarks.run_all --render         # measure nothing, render the stored results

Each study stores its result in ``docs/benchmarks/<name>.json``, tagged with
its provenance (the training studies tag each run). Rendering also
draws the figures and writes the config folders' results pages and metafiles
(``tools.benchmarks.model_index``) and the README's results table, so that
every figure in them is quoted from these files.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

from . import (
    codec_speed,
    complexity,
    convergence,
    costs,
    edge,
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
    video,
)

# In the order of docs/benchmarks.md. The RTMPose budget search renders as
# a subsection of the RTMPose study, whose recipe it chose.
SECTIONS = {
    'resolution': resolution,
    'rtmpose': rtmpose,
    'convergence': convergence,
    'costs': costs,
    'quality': quality,
    'video': video,
    'quantization': quantization,
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


def measure(name: str) -> None:
    """Run study ``name`` as a user reruns it, ``python -m
    tools.benchmarks.<name>`` with its defaults: every study measures into
    its JSON through that one interface, which its results record."""
    subprocess.run([sys.executable, '-m', f'tools.benchmarks.{name}'], check=True)


def render_section(name: str) -> str:
    result = study.load(name)
    if result is None and hasattr(SECTIONS[name], 'ROWS'):
        result = dict(runs=[])  # a training study says what it will measure
    if result is None:
        return f'## {name}\n\nNot measured yet: `{study.rerun_command(name)}`.'
    heading, _, body = SECTIONS[name].section(result).partition('\n')
    if 'provenance' in result:  # the training studies tag each run in their body
        tag = result['provenance']
        body = '\n' + study.provenance_lines([tag], study.rerun_command(name, tag)) + '\n' + body
    return heading + '\n' + body


# The README's one results table: randomized rounding against the stock
# codecs of each family at convergence, at 128 and 64 input.
README_ROWS = [
    ('resolution', 'mobilenetv2', 128, resolution.RR),
    ('resolution', 'mobilenetv2', 128, rows.DARK),
    ('resolution', 'mobilenetv2', 128, 'UDP'),
    ('rtmpose', 'rtmpose-t', 128, 'SimCCLabel s=2'),
    ('rtmpose', 'rtmpose-t', 128, 'RR s=2'),
    ('resolution', 'mobilenetv2', 64, resolution.RR),
    ('resolution', 'mobilenetv2', 64, rows.DARK),
    ('resolution', 'mobilenetv2', 64, 'UDP'),
    ('rtmpose', 'rtmpose-t', 64, 'SimCCLabel s=2'),
    ('rtmpose', 'rtmpose-t', 64, 'RR s=1'),
]


def readme_table() -> str:
    found = {}
    for name, module in (('resolution', resolution), ('rtmpose', rtmpose)):
        stored = study.load(name)
        for s in module.summarise(stored['runs']) if stored else []:
            if s['stride'] == 4:
                found[name, s['arch'], s['input'], s['row']] = s
    if not found:
        return (
            'Not measured yet: `python -m tools.benchmarks.resolution` and '
            '`python -m tools.benchmarks.rtmpose` (hours on 2 cores).'
        )
    costs = {rows.cost_key(c): c for c in (study.load('costs') or {}).get('rows', [])}
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
    missing = len(README_ROWS) - sum(key in found for key in README_ROWS)
    lines += ['', readme_sentence(found)]
    if missing:
        lines[-1] += f' {missing} of the {len(README_ROWS)} rows are still training.'
    return '\n'.join(lines)


def readme_sentence(found: dict) -> str:
    """What the table shows, in one sentence: randomized rounding against
    each stock codec of its family, at each input where both are measured."""
    said = []
    for size in (128, 64):
        rr = found.get(('resolution', 'mobilenetv2', size, resolution.RR))
        peers = [
            f'{name} {found[key]["final_mean"]:.2f} %'
            for name, key in (
                ('DARK', ('resolution', 'mobilenetv2', size, rows.DARK)),
                ('UDP', ('resolution', 'mobilenetv2', size, 'UDP')),
            )
            if key in found
        ]
        if rr and peers:
            said.append(
                f'at {size} input MobileNetV2 with randomized rounding reaches '
                f'{rr["final_mean"]:.2f} % (against {", ".join(peers)})'
            )
        simcc = 'RR s=2' if size == 128 else 'RR s=1'
        ours = found.get(('rtmpose', 'rtmpose-t', size, simcc))
        stock = found.get(('rtmpose', 'rtmpose-t', size, 'SimCCLabel s=2'))
        if ours and stock:
            runs = (study.load('rtmpose') or {}).get('runs', [])
            d = rtmpose.paired(runs, simcc, 'SimCCLabel s=2', size)
            pair = ''
            if d is not None:
                undecided = '' if d['decisive'] else ', not decisive yet'
                pair = (
                    f' (paired over {len(d["seeds"])} seeds: {d["mean"]:+.2f} ± {d["sem"]:.2f} '
                    f'points{undecided})'
                )
            said.append(
                f'RTMPose-t at {size} input {ours["final_mean"]:.2f} % with randomized rounding '
                f'({simcc}) against {stock["final_mean"]:.2f} % with its stock SimCC labels{pair}'
            )
    if not said:
        return 'No pair of randomized rounding and a stock codec is measured yet.'
    text = '; '.join(said)
    return f'On the generated faces, {text}: means over the seeds shown.'


# The README's quality tables: MobileNetV2 at 128 input, the model the demo
# trains (the other rows are in docs/benchmarks.md).
README_QUALITY = ('mobilenetv2', 128)


def readme_quality_tables() -> str | None:
    found, clips = study.load('quality'), study.load('video')
    if found is None or clips is None:
        return None
    arch, size = README_QUALITY
    rows = [s for s in quality.summarise(found['runs']) if (s['arch'], s['input']) == (arch, size)]
    steady = dict(clips, rows=[r for r in clips['rows'] if (r['arch'], r['input']) == (arch, size)])
    return quality.table(rows) + '\n\n' + video.table(steady)


# Generated blocks of the README, between <!-- NAME:begin ... --> and
# <!-- NAME:end -->.
README_BLOCKS = {'results': readme_table, 'quality': readme_quality_tables}


def render_readme() -> None:
    readme = README.read_text()
    for name, make in README_BLOCKS.items():
        block = re.compile(rf'(<!-- {name}:begin[^>]*-->\n).*?(<!-- {name}:end -->)', re.DOTALL)
        text = make()
        if text is not None and block.search(readme):
            readme = block.sub(lambda m, text=text: m[1] + text + '\n' + m[2], readme)
    README.write_text(readme)


def render() -> None:
    for name, module in FIGURES.items():  # derived from the stored results: kept current
        stored = study.load(name)
        if stored is not None:
            module.figure(stored, study.OUT / f'{name}.png')
    header = [
        '# Benchmarks',
        '',
        '<!-- Generated by `python -m tools.benchmarks.run_all --render`; do not edit. -->',
        '',
        'Every section is rendered from its result file in `docs/benchmarks/` and says when, '
        'on which machine and by which command it was measured. Timings are ratios measured '
        'side by side in one run; absolute times depend on the machine.',
        '',
        *(f'- [{name}](#{name})' for name in SECTIONS),
    ]
    sections = []
    for name in SECTIONS:
        sections += ['', f'<a id="{name}"></a>', '', render_section(name)]
    DOC.write_text('\n'.join(header + sections) + '\n')
    model_index.render()
    render_readme()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument('--only', nargs='+', choices=list(STUDIES), help='measure these only')
    group.add_argument('--render', action='store_true', help='measure nothing')
    args = parser.parse_args()
    names = [] if args.render else args.only or list(STUDIES)
    for name in names:
        print(f'measuring {name}', flush=True)
        measure(name)
    render()
    print(f'wrote {DOC}')


if __name__ == '__main__':
    main()
