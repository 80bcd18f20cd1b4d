"""Accuracy per FLOP at convergence: the paper's claim that randomized
rounding keeps its accuracy at low input and heatmap resolution, against
every MMPose heatmap codec, each model trained to its config's own
schedule (60 CPU epochs, scaled as in ``convergence``).

    python -m tools.benchmarks.resolution [--rows NAME ...] [--seeds 0 1 2] [--rerun]

Rows: MobileNetV2 at 64, 128 and 256 input and HRNet-W18 at 128 and 256,
each with randomized rounding (the shipped two-class spatial loss) and
MMPose's peers: MSRAHeatmap (its weights also decoded with DARK), DARK as
MMPose's DARK configs train it, and UDPHeatmap (HRNet-W18: no trained DARK
at 128, only DARK at 256);
and at 128 input MobileNetV2's heatmap at strides 8 and 16 as well as the
paper's 4 (MMPose's ``FeatureMapProcessor`` resizes the fused stride-4
features by 1/2 or 1/4, bilinear without antialiasing, before H3R's head:
a 2x2 average, or the central 2x2 of each 4x4 block). Runs are stored in
``docs/benchmarks/resolution.json`` as each ends; a stopped study resumes
with the runs it lacks, in the order of ``ROWS`` (128 and 64 first, then
the stride ablation, 256, HRNet).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import rows, rtmpose, rtmpose_budget, study
from .rows import DARK, PAPER_STRIDE, Row
from .rtmpose_budget import FLAT

TITLE = 'Accuracy per FLOP at convergence'  # of its section

EPOCHS = 60  # the configs' own schedule, scaled
RR = 'two-class spatial'
# MMPose's heatmap codecs: MSRA, its weights decoded with DARK, DARK trained
# as MMPose's DARK configs train (unbiased targets too), and UDP
PEERS = ('MSRA', DARK, 'DARK', 'UDP')
TRAINED_PEERS = ('MSRA', 'DARK', 'UDP')


def mobilenet(objective: str, size: int, stride: int = PAPER_STRIDE, seeds=(0, 1, 2)) -> Row:
    return Row('mobilenetv2', objective, size, seeds, EPOCHS, stride)


def hrnet(objective: str, size: int, seeds: tuple[int, ...]) -> Row:
    return Row('hrnetv2-w18', objective, size, seeds, EPOCHS)


ROWS = [
    *(mobilenet(o, 128) for o in (RR, *TRAINED_PEERS)),
    *(mobilenet(o, 64) for o in (RR, *TRAINED_PEERS)),
    *(mobilenet(o, 128, stride, (0, 1)) for stride in (8, 16) for o in (RR, 'MSRA', 'DARK')),
    *(mobilenet(o, 256) for o in (RR, *TRAINED_PEERS)),
    *(hrnet(o, 128, (0, 1)) for o in (RR, 'MSRA', 'UDP')),
    # the HRNet-W18 256 peer is DARK, trained as MMPose's DARK configs train
    *(hrnet(o, 256, (0,)) for o in (RR, 'DARK')),
]


def named(name: str) -> rows.Trained:
    """This study's row called ``name``, for the studies that measure its
    trained models."""
    return rows.named('resolution', ROWS, name)


def summarise(runs: list[dict]) -> list[dict]:
    return rows.summarise(runs, ROWS)


def paired_differences(runs: list[dict]) -> list[dict]:
    """Randomized rounding minus each peer at equal backbone, input and
    stride, over the seeds both have; a pair with one common seed (the
    HRNet-W18 256 rows train one) gives its difference without a spread."""
    out = []
    for row in ROWS:
        if row.objective != RR:
            continue
        ours = row.keys()[0]
        for peer in PEERS:
            theirs = (*ours[:3], peer, *ours[4:])
            diff = rows.paired_difference(runs, ours, theirs, least=1)
            if diff is not None:
                out.append(
                    dict(arch=row.arch, input=row.input, stride=row.stride, peer=peer, **diff)
                )
    return out


def difference_line(d: dict) -> str:
    """One pair of :func:`paired_differences` as the page lists it: with
    its standard error and verdict over two seeds or more; over one, the
    difference alone, which no test can decide."""
    where = f'- {d["arch"]} {d["input"]}' + (
        f' stride {d["stride"]}' if d['stride'] != PAPER_STRIDE else ''
    )
    seeds = ', '.join(map(str, d['seeds']))
    if d['sem'] is None:
        return (
            f'{where}: RR minus {d["peer"]} {d["mean"]:+.2f} points (seed {seeds} alone'
            + (', paired across CPU kinds' if d['across_cpus'] else '')
            + '): one seed, no spread, not decided'
        )
    mean, sem = rows.paired_figures(d)
    return (
        f'{where}: RR minus {d["peer"]} {mean} ± {sem} points (seeds {seeds}'
        f'{rows.across_cpus_note(d)}): {rows.paired_verdict(d, more_seeds=False)}'
    )


def pareto(points: list[tuple[float, float]]) -> list[bool]:
    """Which (gflops, nme) points no other point beats on both."""
    return [
        not any(g2 <= g and n2 <= n and (g2, n2) != (g, n) for g2, n2 in points) for g, n in points
    ]


def figure(result: dict, results: dict, path: Path) -> None:
    """The section's figure, drawn by the renderer: NME against GFLOPs,
    once rows with costs exist."""
    points = converged_points(summarise(result['runs']), results)
    if points:
        plot(points, path)


LABEL_ITERATIONS = 400  # adjustText's steps that move the plot's labels apart


def minor_tick_label(value: float, _position: int | None = None) -> str:
    """A log axis's minor tick as a plain number at 2, 3 and 5 times a power
    of ten, blank between them: every minor label at once runs together."""
    lead = value / 10 ** np.floor(np.log10(value))
    return f'{value:g}' if any(np.isclose(lead, (2, 3, 5))) else ''


def plot(entries: list[dict], path: Path) -> None:
    """NME against GFLOPs of every converged row (``entries``: label,
    gflops, nme, family), the Pareto front drawn through."""
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from adjustText import adjust_text

    fig, ax = plt.subplots(figsize=(9.5, 6.5))
    # one marker and colour per family, named once in the legend
    styles = {
        'randomized rounding': ('o', 'tab:red'),
        'MSRA': ('v', 'tab:blue'),
        DARK: ('^', 'tab:cyan'),
        'DARK': ('>', 'tab:green'),
        'UDP': ('s', 'tab:purple'),
        'SimCC': ('D', 'tab:gray'),
    }
    front = pareto([(e['gflops'], e['nme']) for e in entries])
    for e, on_front in zip(entries, front):
        marker, colour = styles.get(e['family'], ('x', 'k'))
        ax.scatter(
            e['gflops'],
            e['nme'],
            marker=marker,
            color=colour,
            edgecolors='k' if on_front else 'none',
            s=40,
        )
    for family in dict.fromkeys(e['family'] for e in entries):  # unringed legend entries
        marker, colour = styles.get(family, ('x', 'k'))
        ax.scatter([], [], marker=marker, color=colour, s=40, label=family)
    best = sorted((e for e, f in zip(entries, front) if f), key=lambda e: e['gflops'])
    ax.plot(
        [e['gflops'] for e in best], [e['nme'] for e in best], 'k--', lw=0.8, label='Pareto front'
    )
    ax.set(
        xscale='log',
        yscale='log',
        xlabel='GFLOPs (MMPose counting)',
        ylabel='final NME % (generated faces, mean of seeds)',
    )
    for axis in (ax.xaxis, ax.yaxis):  # plain numbers on the log axes
        axis.set_major_formatter(matplotlib.ticker.FormatStrFormatter('%g'))
        axis.set_minor_formatter(matplotlib.ticker.FuncFormatter(minor_tick_label))
    ax.tick_params(which='both', labelsize=7)
    ax.set_title('Accuracy per compute (heatmap rows at their schedule, RTMPose at its budget)')
    ax.legend(fontsize=7)
    fig.tight_layout()
    # labels moved apart from each other and the points, each tied to its point by a line
    labels = [ax.text(e['gflops'], e['nme'], e['label'], fontsize=6) for e in entries]
    adjust_text(
        labels,
        x=[e['gflops'] for e in entries],
        y=[e['nme'] for e in entries],
        ax=ax,
        arrowprops=dict(arrowstyle='-', color='0.6', lw=0.5),
        iter_lim=LABEL_ITERATIONS,  # not its default time limit: the same figure every time
    )
    fig.savefig(path, dpi=110)
    plt.close(fig)


COMMAND = 'python -m tools.benchmarks.resolution --rerun'
FAMILIES = {RR: 'randomized rounding', **{peer: peer for peer in PEERS}}


def point_label(s: dict) -> str:
    """A summarised row's label in the plot: backbone, input, /stride
    where not 4, objective."""
    stride = f'/{s["stride"]}' if s['stride'] != PAPER_STRIDE else ''
    return f'{s["arch"]} {s["input"]}{stride} {s["row"]}'


def converged_points(summary: list[dict], results: dict) -> list[dict]:
    """Every converged row with its GFLOPs (``results``: the stored results,
    by study): this study's and the RTMPose study's, for the plot and the
    compute table."""
    cost = {rows.cost_key(c): c for c in (results.get('costs') or {}).get('rows', [])}
    stored = results.get('rtmpose')
    simcc = rtmpose.summarise(stored['runs']) if stored else []
    points = []
    for s in [*summary, *simcc]:
        c = cost.get(rows.cost_key(s))
        if c is None:
            continue
        family = 'SimCC' if s['arch'] == 'rtmpose-t' else FAMILIES[s['row']]
        if s['arch'] == 'rtmpose-t' and s['row'].startswith('RR'):
            family = 'randomized rounding'
        label = point_label(s)
        iterations = rows.iterations(s['epochs'], s['num_train'])  # budgets differ by family
        points.append(
            dict(
                label=label,
                arch=s['arch'],
                gflops=c['gflops'],
                nme=s['final_mean'],
                family=family,
                iterations=iterations,
                seeds=len(s['seeds']),
            )
        )
    return points


def front_line(points: list[dict]) -> str:
    """The rows on the Pareto front, least compute first."""
    on = [p for p, f in zip(points, pareto([(p['gflops'], p['nme']) for p in points])) if f]
    said = ', '.join(
        f'{p["label"]} ({p["gflops"]:.3f} GFLOPs, {p["nme"]:.2f} %)'
        for p in sorted(on, key=lambda p: p['gflops'])
    )
    return f'On the Pareto front, least compute first: {said}.' if on else ''


def unplotted_line(summary: list[dict], results: dict, points: list[dict]) -> str:
    """The converged rows (``summary`` and the RTMPose study's in
    ``results``) that ``points`` leave out because their costs are not
    measured yet ('' when none)."""
    stored = results.get('rtmpose')
    simcc = rtmpose.summarise(stored['runs']) if stored else []
    plotted = {p['label'] for p in points}
    missing = [label for s in [*summary, *simcc] if (label := point_label(s)) not in plotted]
    if not missing:
        return ''
    return (
        f'Not plotted yet, {"its" if len(missing) == 1 else "their"} costs not measured '
        f'(`{study.rerun_command("costs")}`): {", ".join(missing)}.'
    )


def compute_table(points: list[dict]) -> str:
    """For each peer family's best NME, the least compute at which a
    randomized rounding row reaches it: any row, and a row of the peer's own
    backbone and training budget."""
    lines = [
        '| peer | its best NME % (GFLOPs) | least GFLOPs of RR at that NME or better | '
        'the same, on its backbone and budget |',
        '|---|---|---|---|',
    ]
    ours = [p for p in points if p['family'] == 'randomized rounding']

    def named(p: dict) -> str:
        # a mean of one seed is a single run: said, since the table compares means
        return p['label'] + (', one seed' if p['seeds'] == 1 else '')

    def cheapest(best: dict, candidates: list[dict]) -> str:
        reach = [p for p in candidates if p['nme'] <= best['nme']]
        if not reach:
            if not candidates:
                return 'none reaches it'
            near = min(candidates, key=lambda p: (p['nme'], p['gflops']))
            return f'none reaches it (closest: {named(near)}, {near["nme"]:.2f} %)'
        found = min(reach, key=lambda p: p['gflops'])
        budget = (
            f'; trained {found["iterations"]} iterations against {best["iterations"]}'
            if found['iterations'] != best['iterations']
            else ''
        )
        return (
            f'{found["gflops"]:.3f} ({named(found)}, {found["nme"]:.2f} %; '
            f'{found["gflops"] / best["gflops"]:.2f}x{budget})'
        )

    for family in (*PEERS, 'SimCC'):
        theirs = [p for p in points if p['family'] == family]
        if not theirs:
            continue
        best = min(theirs, key=lambda p: (p['nme'], p['gflops']))
        alike = [
            p for p in ours if (p['arch'], p['iterations']) == (best['arch'], best['iterations'])
        ]
        lines.append(
            f'| {family} | {best["nme"]:.2f} ({best["gflops"]:.3f}, {named(best)}) | '
            f'{cheapest(best, ours)} | {cheapest(best, alike)} |'
        )
    return '\n'.join(lines)


STRIDES = (4, 8, 16)  # the ablation's heatmap strides at 128 input


def stride_lines(summary: list[dict], results: dict | None = None) -> list[str]:
    """The stride ablation read across: each objective's mean NME at
    MobileNetV2's 128 input from stride 4 to the coarsest measured, and how
    many times it grew (the trained counterpart of [quantization])."""
    final = {(s['arch'], s['input'], s['stride'], s['row']): s['final_mean'] for s in summary}
    out = []
    for row in (RR, *PEERS):
        values = [final.get(('mobilenetv2', 128, stride, row)) for stride in STRIDES]
        measured = [(stride, v) for stride, v in zip(STRIDES, values) if v is not None]
        if len(measured) < 2 or values[0] is None:
            continue
        path = ' → '.join(f'{v:.2f}' for _, v in measured)
        strides = ', '.join(str(stride) for stride, _ in measured)
        out.append(
            f'- {row}: {path} % at strides {strides} '
            f'({measured[-1][1] / measured[0][1]:.1f}x from stride 4 to {measured[-1][0]})'
        )
    return out + placement_line(results) if out else out


def placement_line(results: dict | None) -> list[str]:
    """The stride ablation's word on MMPose's misplaced MSRA targets."""
    from . import target_placement  # which builds this study's rows

    placed = (results or {}).get('target_placement')
    shares = [(stride, target_placement.share(placed, 128, stride, 'MSRA')) for stride in STRIDES]
    if placed is None or any(v is None for _, v in shares):
        return []
    said = ', '.join(f'{100 * v:.0f} % at stride {stride}' for stride, v in shares)
    return [
        '',
        "MSRA's and MSRA + DARK's growth includes MMPose's misplaced training targets, "
        f"{said} ([target placement](#target_placement)); the DARK rows' targets stay in place.",
    ]


# "Matches": RR's mean NME at most this factor of the peer's.
MATCH = 1.05


def expectations(summary: list[dict], costs: dict | None = None) -> list[str]:
    """The issue's three expectations, each confirmed or refuted by the
    MobileNetV2 rows' means (and, for the first, the FLOPs ``costs`` holds)."""
    final = {(s['arch'], s['input'], s['stride'], s['row']): s for s in summary}
    out = []

    def judged(keys: list[tuple[int, str]], holds, extra=None, cost_fails=False) -> str | None:
        """'**verdict caveat** (figures)' of the rows' means in the order of
        ``keys`` (``holds`` and ``extra`` take them); None if one is missing.
        ``cost_fails``: failed on FLOPs, which the architecture fixes."""
        found = [final.get(('mobilenetv2', size, 4, row)) for size, row in keys]
        if None in found:
            return None
        values = [s['final_mean'] for s in found]
        seeds = min(len(s['seeds']) for s in found)
        # rows of other inputs train apart: their seeds do not pair, only their means compare
        basis = 'one seed, not yet repeated' if seeds < 2 else 'the means of the seeds'
        figures = (
            ', '.join(
                f'{"RR" if row == RR else row} {size} {v:.2f}'
                for (size, row), v in zip(keys, values)
            )
            + ' %'
        )
        if cost_fails:  # more seeds cannot change a FLOPs count: the verdict rests on it
            caveat, figures = ' on its FLOPs, which no seed changes', f'{figures}, {basis}'
        else:
            caveat = f' on {basis}'
        verdict = 'holds' if holds(*values) else 'fails'
        return f'**{verdict}{caveat}** ({figures}{extra(*values) if extra else ""})'

    def say(
        text: str, keys: list[tuple[int, str]], holds, extra=None, part=None, cost_fails=False
    ) -> None:
        # part: (what, keys, holds, extra) of a half judged while the rest is unmeasured
        verdict = judged(keys, holds, extra, cost_fails) if holds is not None else None
        if verdict is None:  # a row, or the FLOPs, not measured
            half = judged(*part[1:]) if part else None
            out.append(f'- {text}: **not measured yet**' + (f'; {part[0]}: {half}' if half else ''))
            return
        out.append(f'- {text}: {verdict}')

    ratio = rows.flops_ratio(costs, ('mobilenetv2', 128, 4, RR), ('mobilenetv2', 256, 4, 'MSRA'))
    say(
        'RR at 128 is at least as good as MSRA at 256, at a quarter of the FLOPs '
        f'(at most {rows.A_QUARTER:g}x)',
        [(128, RR), (256, 'MSRA')],
        None if ratio is None else lambda a, b: a <= b and ratio <= rows.A_QUARTER,
        # both halves, so a failed premise of cost does not hide the accuracy
        lambda a, b: (
            f'; at least as good: {"yes" if a <= b else "no"}; {ratio:.2f}x the '
            f'FLOPs, a quarter: {"yes" if ratio <= rows.A_QUARTER else "no"}'
        ),
        cost_fails=ratio is not None and ratio > rows.A_QUARTER,
    )
    say(
        "RR's NME at 64 within 1.5x its NME at 256, while MSRA's and UDP's grow more",
        [(64, RR), (256, RR), (64, 'MSRA'), (256, 'MSRA'), (64, 'UDP'), (256, 'UDP')],
        lambda a, b, c, d, e, f: a <= 1.5 * b and c / d > a / b and e / f > a / b,
        # both halves, as for the first: RR's own growth, and the peers' against it
        lambda a, b, c, d, e, f: (
            f'; from 256 to 64 input RR grows {a / b:.2f}x (at most 1.5x: '
            f'{"yes" if a <= 1.5 * b else "no"}), MSRA {c / d:.2f}x and UDP {e / f:.2f}x '
            f'(both more than RR: {"yes" if c / d > a / b and e / f > a / b else "no"})'
        ),
        part=(
            "RR's own half so far",
            [(64, RR), (256, RR)],
            lambda a, b: a <= 1.5 * b,
            lambda a, b: f'; {a / b:.2f}x',
        ),
    )
    say(
        f"RR at 128 matches DARK at 256 (its mean at most {MATCH:g}x DARK's)",
        [(128, RR), (256, 'DARK')],
        lambda a, b: a <= MATCH * b,
    )
    return out


def settled(runs: list[dict]) -> str:
    """How many stored runs end flat at their schedule's final rate
    (:func:`flatness` measures it): the premise of keeping the paper
    configs' rate."""
    changes = rows.run_changes(runs, rows.final_rate_change)
    if not changes:
        return 'and these rows train at it'
    flat = sum(c < FLAT for _, c in changes)
    which = (
        'every run here ends'
        if flat == len(changes)
        else f'{flat} of the {len(changes)} runs here end'
    )
    return (
        f'and {which} flat at the last rate of their schedule, after both steps down '
        '(the flatness measure below)'
    )


def flatness(runs: list[dict]) -> str:
    """The RTMPose study's flatness measure, taken where these rows' step
    schedule leaves it meaningful: over the epochs at the final learning
    rate (a step inside the last fifth would count as change)."""
    if not runs:
        return ''
    start, epochs = rows.final_rate_start(ROWS[0].arch, EPOCHS), EPOCHS
    return rows.flatness_line(
        runs,
        FLAT,
        'every run here',
        rows.final_rate_change,
        f'the change from epoch {start + 1} to {epochs}, all at the final learning rate',
    )


def rate_search_sentence(budget: dict | None) -> str:
    """How the RTMPose study chose its rate instead, from its search's
    stored candidates (``budget``)."""
    linear = rtmpose_budget.linear_rate_comparison(budget)
    if linear is None:
        return ''
    return (
        '(The RTMPose study chose its rate by a search instead, on shorter budgets than its '
        f'final one: at {rtmpose_budget.rate_search_iterations()} iterations, final NME by rate '
        f'{rtmpose_budget.rate_comparison(budget, rtmpose.RECIPE.lr)}; linearly scaled, '
        f'{linear}.)'
    )


def section(result: dict, results: dict) -> str:
    summary = summarise(result['runs'])
    costs = results.get('costs')
    points = converged_points(summary, results)
    diffs = [difference_line(d) for d in paired_differences(result['runs'])]
    return '\n'.join(
        [
            f'## {TITLE}',
            '',
            rows.training_provenance(rows.trainings(result['runs']), COMMAND),
            '',
            "Each row trains from scratch for the configs' own 60 epochs, scaled to the CPU as "
            f'in [convergence](#convergence) (which stops at 20): {rows.NUM_TRAIN} generated '
            f'faces per epoch at batch {rows.BATCH}, {rows.iterations(EPOCHS, rows.NUM_TRAIN)} '
            'iterations, the warm-up and decay at their shares of them. MobileNetV2 and '
            'HRNet-W18 are the 300W P2 paper configs, with their backbone randomly initialised '
            '(no ImageNet checkpoint can be downloaded here) and, per row, the input size, head, '
            'loss and codec changed. RR is randomized rounding as shipped (two-class spatial '
            "loss); MSRA is MMPose's MSRAHeatmap with KeypointMSELoss, decoded as is and, as "
            f"`{DARK}`, with DARK's decoding; DARK is trained as MMPose's DARK configs train, "
            '`MSRAHeatmap(unbiased=True)`: unbiased Gaussian targets as well as DARK decoding; '
            "UDP is MMPose's UDPHeatmap with UDP crops and flip test (MMPose's UDP "
            f'configs); the Gaussian targets are {study.MSRA_SIGMA_CELLS} heatmap cells '
            "wide, MMPose's face recipe. Strides 8 and 16: a neck, MMPose's "
            '`FeatureMapProcessor`, resizes the fused stride-4 features before the head '
            '(bilinear, no antialiasing): by 1/2 it averages each 2x2 block exactly, by 1/4 the '
            'central 2x2 of each 4x4 block. The backbone still computes at stride 4, so only '
            "the head's FLOPs fall. The paper configs' Adam 2e-3, which they state for a total "
            'batch of 512 (`auto_scale_lr`, applied only with `--auto-scale-lr`), is kept at '
            "batch 16, not scaled down: linear scaling is SGD's rule, Adam's step is normalised "
            f"by the gradient's size, {settled(result['runs'])}. "
            f'{rate_search_sentence(results.get("rtmpose_budget"))}',
            '',
            rows.table(summary, costs),
            *rows.paragraph(rows.still_to_run(ROWS, result['runs'])),
            *rows.paragraph(placement_sentence(results)),
            *rows.paragraph(flatness(result['runs'])),
            *rows.paragraph(rows.best_epoch_line(summary)),
            *(
                [
                    '',
                    'Heatmap stride at 128 input (MobileNetV2, means of the seeds; the ideal '
                    'decode of the same codecs is in [quantization](#quantization), whose 256 '
                    'input puts these heatmaps, 32², 16² and 8², under its strides 8, 16 and 32):',
                    '',
                    *strides,
                ]
                if (strides := stride_lines(summary, results))
                else []
            ),
            '',
            'Paired over seeds (standard errors):',
            '',
            *(diffs or ['- none yet: each needs a seed that both rows hold']),
            *(['', rows.DECISIVE] if diffs else []),
            '',
            '![NME against GFLOPs](benchmarks/resolution.png)',
            '',
            'With the RTMPose rows of [rtmpose](#rtmpose), which train '
            f'{rtmpose.ITERATIONS} iterations from scratch '
            f"against the heatmap rows' {rows.iterations(EPOCHS, rows.NUM_TRAIN)} (a larger "
            "budget, chosen by the RTMPose study's search); ringed points are on the Pareto "
            'front. For each peer, the least compute at which randomized rounding reaches its '
            "best NME among the rows measured so far: on any backbone, and on the peer's own "
            'backbone and training budget:',
            '',
            compute_table(points),
            *rows.paragraph(front_line(points)),
            *rows.paragraph(unplotted_line(summary, results, points)),
            '',
            'Expectations:',
            '',
            *expectations(summary, costs),
        ]
    )


def placement_sentence(results: dict) -> str:
    """How many of the MSRA and UDP rows' training targets MMPose places a
    cell off, from ``target_placement``, for the rows this study trains
    ('' until it is measured)."""
    from . import target_placement  # which builds this study's rows

    placed = results.get('target_placement')
    if placed is None:
        return ''
    trained = {(r.input, r.stride, r.objective) for r in ROWS if r.arch == 'mobilenetv2'}
    shares = []
    for size, stride in target_placement.CASES:
        said = [
            f'{o} {100 * value:.0f} %'
            for o in ('MSRA', 'UDP')
            if (size, stride, o) in trained
            and (value := target_placement.share(placed, size, stride, o)) is not None
        ]
        if said:
            where = f'{size} input' + (f' stride {stride}' if stride != PAPER_STRIDE else '')
            shares.append(f'{where}: {", ".join(said)}')
    if not shares:
        return ''
    return (
        f"MMPose {placed['mmpose']} places part of the MSRA and UDP rows' training targets one "
        f'cell off: at sigma {placed["sigma_cells"]:g} cells, those of keypoints less than '
        f'{target_placement.radius(placed):g} cells from the left or top border '
        f'({"; ".join(shares)}; [why](#target_placement)). These rows train on them as MMPose '
        "ships them; the DARK rows' unbiased targets stay in place, so DARK is the Gaussian "
        'peer that these misplaced targets do not hold back.'
    )


def run(chosen: list[Row], seeds: tuple[int, ...] | None = None, rerun: bool = False) -> dict:
    """Train the ``chosen`` rows' missing runs (all with ``rerun``)."""
    return rows.train('resolution', chosen, seeds, rerun)


def main() -> None:
    result = run(*study.row_arguments(__doc__.splitlines()[0], ROWS))
    for s in summarise(result['runs']):
        print(s['arch'], s['input'], s['stride'], s['row'], f'{s["final_mean"]:.2f}', s['seeds'])
    print(np.round([d['mean'] for d in paired_differences(result['runs'])], 3))


if __name__ == '__main__':
    main()
