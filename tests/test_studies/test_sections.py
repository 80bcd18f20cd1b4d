"""The training studies' sections, rendered from small result fixtures: the
tables, paired differences, expectations and provenance say what the runs
say."""

import re
from dataclasses import asdict, astuple

import numpy as np
import pytest

from tools.benchmarks import resolution, rows, rtmpose, study

MACHINE = 'Test CPU (x86_64 AVX2), 2 cores, no GPU, Python 3.11.7, torch 2.14.1'


def tag(seed: int) -> dict:
    return dict(date=f'2026-12-0{seed + 1}', machine=MACHINE, commit='abc1234', command='x')


def runs_of(row: rows.Row, finals: dict[int, float], objective: str | None = None) -> list[dict]:
    return [
        dict(
            arch=row.arch,
            input=row.input,
            stride=row.stride,
            row=objective or row.objective,
            seed=seed,
            epochs=row.epochs,
            num_train=row.num_train,
            nme=[20.0] * (row.epochs - 1) + [final],
            provenance=tag(seed),
            **(dict(recipe=asdict(row.recipe)) if row.arch == 'rtmpose-t' else {}),
        )
        for seed, final in finals.items()
    ]


@pytest.fixture
def stored(monkeypatch):
    """A few runs of each study, served as if stored; no costs."""
    by = {(r.arch, r.input, r.stride, r.objective): r for r in resolution.ROWS}
    mnv2 = {
        (128, 'two-class spatial'): {0: 2.0, 1: 2.2, 2: 2.1},
        (128, 'MSRA'): {0: 3.0, 1: 3.4, 2: 3.2},
        (256, 'MSRA'): {0: 2.5},
        (64, 'two-class spatial'): {0: 2.8},
        (256, 'two-class spatial'): {0: 1.9},
        (64, 'MSRA'): {0: 6.0},
        (64, 'UDP'): {0: 5.0},
        (256, 'UDP'): {0: 2.4},
    }
    heatmap = []
    for (size, objective), finals in mnv2.items():
        heatmap += runs_of(by['mobilenetv2', size, 4, objective], finals)
    heatmap += runs_of(by['mobilenetv2', 256, 4, 'MSRA'], {0: 2.0}, rows.DARK)
    simcc = runs_of(rtmpose.ROWS[0], {0: 2.0, 1: 2.4}) + runs_of(rtmpose.ROWS[1], {0: 1.8, 1: 2.0})
    results = {'resolution': dict(runs=heatmap), 'rtmpose': dict(runs=simcc), 'costs': None}
    monkeypatch.setattr(study, 'load', lambda name: results.get(name))
    monkeypatch.setattr(resolution, 'plot', lambda points, path: None)
    return results


def by_name(name: str) -> rows.Row:
    return resolution.named(name).row


def test_the_resolution_section_reports_what_the_runs_say(stored):
    text = resolution.section(stored['resolution'], stored)
    assert '- Rerun: `python -m tools.benchmarks.resolution --rerun`' in text
    # 13 runs, of which one re-decodes another's weights (DARK): 12 trainings
    assert '- Measured: 2026-12-01 to 2026-12-03, 12 trained models, at commit abc1234' in text
    assert f'- On: {MACHINE}' in text
    assert '| mobilenetv2 | 128 | two-class spatial | 2.10 ± 0.10 | 3 |' in text
    assert '| mobilenetv2 | 64 | two-class spatial | 2.80 | 1 |' in text  # one seed: no spread
    # randomized rounding minus MSRA, paired over seeds 0 to 2: -1.0, -1.2, -1.1
    assert re.search(
        r'mobilenetv2 128: RR minus MSRA -1\.10 ± 0\.06 points \(seeds 0, 1, 2\)', text
    )
    assert 'seeds 0, 1, 2): decisive' in text and '\nDecisive: a two-sided paired t-test' in text
    # a pair the fixture holds on one seed: listed without a spread, undecided
    assert (
        '- mobilenetv2 256: RR minus UDP -0.50 points (seed 0 alone): one seed, no spread, '
        'not decided'
    ) in text
    # the stored costs hold no FLOPs: the cost half of the first is not judged
    assert 'at a quarter of the FLOPs (at most 0.25x): **not measured yet**' in text
    # 64 against 256: RR 2.8 / 1.9 = 1.47, MSRA 6.0 / 2.5 = 2.4, UDP 5.0 / 2.4 = 2.08
    assert "while MSRA's and UDP's grow more: **holds on one seed, not yet repeated**" in text
    # DARK as MMPose trains it, not the MSRA weights decoded with DARK (2.0 at 256)
    assert "RR at 128 matches DARK at 256 (its mean at most 1.05x DARK's): **not measured" in text
    dark = runs_of(by_name('mobilenetv2 256 DARK'), {0: 2.0})
    # 2.10 against 1.05 x 2.00 = 2.10: a match
    assert (
        "RR at 128 matches DARK at 256 (its mean at most 1.05x DARK's): **holds on one seed, "
        'not yet repeated** (RR 128 2.10, DARK 256 2.00 %)'
    ) in resolution.section(dict(runs=stored['resolution']['runs'] + dark), stored)


def test_the_resolution_growth_expectation_says_rrs_half_before_the_peers(stored):
    """RR at 64 and 256 measured, a peer at 256 not: the verdict waits, but
    RR's own half (at most 1.5x) is said with its figures."""
    runs = [r for r in stored['resolution']['runs'] if (r['input'], r['row']) != (256, 'UDP')]
    lines = resolution.expectations(resolution.summarise(runs))
    assert lines[1] == (
        "- RR's NME at 64 within 1.5x its NME at 256, while MSRA's and UDP's grow more: "
        "**not measured yet**; RR's own half so far: **holds on one seed, not yet "
        'repeated** (RR 64 2.80, RR 256 1.90 %; 1.47x)'
    )
    without_rr = [r for r in runs if (r['input'], r['row']) != (256, resolution.RR)]
    assert resolution.expectations(resolution.summarise(without_rr))[1].endswith(
        '**not measured yet**'
    )
    # all measured: RR 2.8 / 1.9, MSRA 6.0 / 2.5, UDP 5.0 / 2.4; both halves said
    full = resolution.expectations(resolution.summarise(stored['resolution']['runs']))[1]
    assert full.endswith(
        '**holds on one seed, not yet repeated** (RR 64 2.80, RR 256 1.90, MSRA 64 6.00, '
        'MSRA 256 2.50, UDP 64 5.00, UDP 256 2.40 %; from 256 to 64 input RR grows 1.47x (at '
        'most 1.5x: yes), MSRA 2.40x and UDP 2.08x (both more than RR: yes))'
    )


def test_the_resolution_flops_expectation_needs_both_halves(stored):
    """RR at 128 beats MSRA at 256 on NME; the verdict also needs the FLOPs
    ratio at most a quarter, judged as stated."""

    def costs(ratio: float) -> dict:
        return dict(
            rows=[
                dict(arch='mobilenetv2', input=128, stride=4, row=resolution.RR, gflops=ratio),
                dict(arch='mobilenetv2', input=256, stride=4, row='MSRA', gflops=1.0),
            ]
        )

    summary = resolution.summarise(stored['resolution']['runs'])
    assert '**holds on one seed' in resolution.expectations(summary, costs(0.24))[0]
    assert '0.24x the FLOPs, a quarter: yes' in resolution.expectations(summary, costs(0.24))[0]
    above = resolution.expectations(summary, costs(0.27))[0]
    assert '0.27x the FLOPs, a quarter: no' in above
    # a FLOPs count is what it is on every seed: the verdict rests on it, and the
    # accuracy's figures say what they rest on
    assert (
        '**fails on its FLOPs, which no seed changes** (RR 128 2.10, MSRA 256 2.50 %, '
        'one seed, not yet repeated; at least as good: yes' in above
    )
    # the accuracy half is said whichever way the cost half goes
    assert '; at least as good: yes; 0.27x' in above


def test_the_rtmpose_section_pairs_seeds_and_judges_its_expectations(stored):
    text = rtmpose.section(stored['rtmpose'], stored)
    assert '- Rerun: `python -m tools.benchmarks.rtmpose --rerun`' in text
    assert '| learning rate | AdamW 1e-3 |' in text and '| batch | 16, one process |' in text
    assert '- RR s=2 minus SimCCLabel s=2 at 128 input: -0.30 ± 0.10 points' in text
    assert (
        'at least as good as stock at s = 2 (128 input): **holds on the means, paired seeds not '
        'decisive yet** (1.90 against 2.20 %)'
    ) in text
    # the budget criteria on the study's own stock runs: (2.0 + 2.4) / 2 against RR's 2.1
    assert 'final NME 2.20 % = 1.05 x the reference 2.10 % (goal at most 1.5: **met**)' in text
    assert (
        'last fifth 900.0 %, 733.3 % (goal under 5 % on every seed: **not met**; on the mean '
        'curve of the seeds 809.1 % (**not met**); the reference row: 900 %, 809 %, 852 %)' in text
    )
    assert (
        'RR at s = 0.5 stays within 5 % of RR at s = 2' in text and '**not measured yet**' in text
    )


def test_the_rtmpose_criteria_judge_each_seed_and_the_mean_curve(stored):
    """One seed's curve still falling by 6 % over its last fifth fails the
    per-seed bar; the row's mean curve, flat within 5 %, meets its own."""
    row = rtmpose.ROWS[0]
    fifth = row.epochs // 5
    flat, falling = [2.0] * row.epochs, [2.0] * row.epochs
    falling[-1 - fifth :] = [2.12] + [2.0] * fifth  # 6 % of the final 2.0
    runs = runs_of(row, {0: 2.0, 1: 2.0})
    runs[0]['nme'], runs[1]['nme'] = flat, falling
    line = rtmpose.criteria_line(rtmpose.summarise(runs), stored['resolution'])
    assert 'last fifth 0.0 %, 6.0 % (goal under 5 % on every seed: **not met**' in line
    assert 'on the mean curve of the seeds 3.0 % (**met**)' in line
    # one seed: its curve is the row's, said once
    assert 'mean curve' not in rtmpose.criteria_line(
        rtmpose.summarise(runs[:1]), stored['resolution']
    )


def test_no_provenance_line_is_long(stored):
    tags = [tag(0) | dict(machine=MACHINE * 3)]
    with pytest.raises(AssertionError):  # the check below has teeth
        assert max(map(len, study.provenance_lines(tags, 'x').splitlines())) <= 200
    # a study measured at many commits does not list them all
    tags = [tag(0) | dict(commit=f'{i:07x}', date=f'2026-12-{i + 1:02d}') for i in range(30)]
    (measured,) = [x for x in study.provenance_lines(tags, 'x').splitlines() if 'Measured' in x]
    assert measured.endswith('30 runs, at 30 commits, 0000000 to 000001d')
    # the items provenance_lines writes ('- Rerun: ', '- Measured: ', ...)
    noted = study.provenance_lines([tag(0) | dict(note='n')], 'x').splitlines()
    items = tuple(line.split(': ')[0] + ': ' for line in noted)
    for text in (
        resolution.section(stored['resolution'], stored),
        rtmpose.section(stored['rtmpose'], stored),
    ):
        provenance = [line for line in text.splitlines() if line.startswith(items)]
        assert max(map(len, provenance)) <= 200


def test_the_readme_sentence_says_where_randomized_rounding_ends_against_the_stock_codecs(stored):
    """Against the best measured stock heatmap codec at each input, on the
    means (a tie as printed is level), and against stock SimCC by the
    RTMPose section's pairs: the stored RTMPose runs hold seeds 0 and 1 of
    RR s=2 and stock s=2 at 128."""
    from tools.benchmarks.render import readme_sentence

    def mean(value: float, seeds: int = 3) -> dict:
        return dict(final_mean=value, seeds=list(range(seeds)))

    found = {
        ('resolution', 'mobilenetv2', 256, resolution.RR): mean(1.6, 1),
        ('resolution', 'mobilenetv2', 256, 'UDP'): mean(1.5, 1),
        ('resolution', 'mobilenetv2', 128, resolution.RR): mean(1.7),
        ('resolution', 'mobilenetv2', 128, rows.DARK): mean(2.5),
        ('resolution', 'mobilenetv2', 128, 'MSRA'): mean(3.0),
        ('resolution', 'mobilenetv2', 64, resolution.RR): mean(2.2),
        ('resolution', 'mobilenetv2', 64, 'DARK'): mean(2.204),
        ('resolution', 'mobilenetv2', 32, resolution.RR): mean(9.0),  # no peer: unsaid
    }
    assert readme_sentence(found, stored['rtmpose']['runs']) == (
        'On the generated faces, with MobileNetV2, randomized rounding ends, against the best '
        'measured stock codec on the means, above UDP at 256 input (0.10 points, one seed), '
        'below MSRA + DARK at 128 input (0.80 points) and level with DARK at 64 input (0.00 '
        'points); with RTMPose-t, randomized rounding minus stock SimCC, paired by seed (± its '
        'standard error), is -0.30 ± 0.10 points for RR s=2 against SimCCLabel s=2 at 128 '
        'input (2 seeds, not decisive yet; 95 % interval -1.57 to +0.97).'
    )
    assert readme_sentence({}, []).startswith('No pair')
    assert readme_sentence(found, []).endswith('level with DARK at 64 input (0.00 points).')


def test_a_list_reads_as_prose():
    assert [rows.listed(list('abc')[:n]) for n in (1, 2, 3)] == ['a', 'a and b', 'a, b and c']


@pytest.fixture
def candidates(monkeypatch):
    """A budget search of three candidates: recipe A for the study's epochs
    and twice as long, and recipe B."""
    from tools.benchmarks import rtmpose_budget

    a, b = rows.RTMPoseRecipe(1e-3), rows.RTMPoseRecipe(1e-3, decay_end=0.7)
    epochs = rtmpose.EPOCHS
    found = {'A': (a, epochs), 'A long': (a, 2 * epochs), 'B': (b, epochs)}
    monkeypatch.setattr(rtmpose_budget, 'CANDIDATES', found)
    return a, b


def budget_run(candidate: str, final: float, change: float, seed: int = 0) -> dict:
    return dict(
        candidate=candidate, seed=seed, nme=[final], last_fifth_change=change, provenance=tag(seed)
    )


def test_the_budget_search_reads_its_own_seed_only(stored, candidates):
    """A candidate rerun at another seed is stored beside the search's run
    but never replaces it in the table, the verdict or the final NMEs."""
    from tools.benchmarks import rtmpose_budget

    budget = dict(runs=[budget_run('B', 2.0, 0.04), budget_run('B', 9.0, 0.5, seed=1)])
    assert rtmpose_budget.final_nme(budget, 'B') == 2.0
    table = rtmpose_budget.table(budget, stored['resolution'])
    assert '| 2.00 |' in table
    assert '9.00' not in table
    text = rtmpose_budget.verdict(budget, candidates[1], rtmpose.EPOCHS, stored['resolution'])
    assert text.startswith('Candidates meeting both criteria: B. The study recipe is B: 2.00 %')


def test_the_budget_verdict_says_when_no_candidate_meets_both_criteria(stored, candidates):
    from tools.benchmarks.rtmpose_budget import verdict

    recipe = candidates[0]
    budget = dict(runs=[budget_run('A', 2.0, 0.3), budget_run('A long', 1.5, 0.2)])
    reference = stored['resolution']  # the reference (2.1 %) flattens at 900 %
    text = verdict(budget, recipe, rtmpose.EPOCHS, reference)
    assert text.startswith('No candidate meets both criteria.')
    assert 'the same recipe twice as long (A long) 1.50 %, its curve still changing 20 %' in text
    budget['runs'].append(budget_run('B', 3.5, 0.01))  # flat but 1.67x: not met
    assert verdict(budget, recipe, rtmpose.EPOCHS, reference).startswith('No candidate')


def test_the_budget_verdict_names_the_recipe_that_meets_both(stored, candidates):
    """And says where a longer budget still lowers the NME."""
    from tools.benchmarks.rtmpose_budget import verdict

    budget = dict(runs=[budget_run('A long', 1.5, 0.2), budget_run('B', 2.0, 0.04)])
    assert verdict(budget, candidates[1], rtmpose.EPOCHS, stored['resolution']) == (
        'Candidates meeting both criteria: B. The study recipe is B: 2.00 %, its curve changing '
        '4.0 % over its last fifth. A longer budget still lowers the NME (A long: 1.50 %): the '
        'rows are converged at their schedule, as the heatmap rows are at theirs, not at the '
        'lowest NME RTMPose-t can reach.'
    )


def test_the_budget_verdict_brackets_the_smallest_budget_by_the_shorter_run_that_missed(
    stored, candidates
):
    from tools.benchmarks.rtmpose_budget import verdict

    recipe = candidates[0]
    budget = dict(runs=[budget_run('A', 2.0, 0.3), budget_run('A long', 2.0, 0.04)])
    text = verdict(budget, recipe, 2 * rtmpose.EPOCHS, stored['resolution'])
    iterations = rows.iterations(rtmpose.EPOCHS, recipe.num_train or rows.NUM_TRAIN)
    assert (
        'It is the shortest run of its recipe tried that meets both; the next shorter tried, A '
        f'({iterations} iterations against {2 * iterations}), misses, and none in between was '
        'tried.'
    ) in text


def test_the_rate_deviation_quotes_the_candidates_that_differ_in_their_rate_only(monkeypatch):
    """The RTMPose section's reason for its learning rate is read from the
    stored search, not typed: only candidates equal to the rate search's
    recipe but for their rate, at its epochs and seed, are quoted, lowest
    rate first, with where the kept rate stands."""
    from tools.benchmarks import rtmpose_budget

    base, epochs = rtmpose_budget.RATE_SEARCH
    found = {
        'fast': (rows.RTMPoseRecipe(4e-3, *astuple(base)[1:]), epochs),
        'middle': (rows.RTMPoseRecipe(2e-3, *astuple(base)[1:]), epochs),
        'slow': (rows.RTMPoseRecipe(1e-3, *astuple(base)[1:]), epochs),
        'slow, longer': (rows.RTMPoseRecipe(1e-3, *astuple(base)[1:]), 2 * epochs),
        'slow, fewer faces': (
            rows.RTMPoseRecipe(1e-3, base.warmup_share, base.pipeline, 240),
            epochs,
        ),
        'not run': (rows.RTMPoseRecipe(5e-4, *astuple(base)[1:]), epochs),
    }
    monkeypatch.setattr(rtmpose_budget, 'CANDIDATES', found)
    finals = {'fast': 3.4, 'middle': 1.55, 'slow': 1.6, 'slow, longer': 1.2, 'slow, fewer faces': 3}
    runs = [budget_run(n, final, 0.1) for n, final in finals.items()]
    runs.append(budget_run('middle', 9.9, 0.1, seed=1))  # not the search's seed
    budget = dict(runs=runs)
    assert rtmpose_budget.rate_comparison(budget, 1e-3) == (
        '1e-3: 1.60 %, 2e-3: 1.55 %, 4e-3: 3.40 % (seed 0): 1e-3 ends 0.05 points above the '
        'best, 2e-3'
    )
    assert rtmpose_budget.rate_comparison(budget, 2e-3).endswith(': 2e-3 ends lowest')
    assert rtmpose_budget.rate_comparison(budget, 5e-4).endswith(': 5e-4 not run')
    assert rtmpose_budget.rate_comparison(None, 1e-3) == 'not run yet'
    assert rtmpose_budget.rate_search_iterations() == rtmpose_budget.candidate_iterations('fast')
    assert [rtmpose_budget.rate_name(r) for r in (1e-3, 2.5e-4, 4e-3 * 16 / 512, 1e-4)] == [
        '1e-3',
        '2.5e-4',
        '1.25e-4',
        '1e-4',
    ]
    table = '\n'.join(rtmpose.deviations_table(budget))
    assert (
        'final NME by rate: 1e-3: 1.60 %, 2e-3: 1.55 %, 4e-3: 3.40 % (seed 0): 1e-3 ends' in table
    )
    assert '{rates}' not in table
    assert 'final NME by rate: not run yet;' in '\n'.join(rtmpose.deviations_table(None))


def quality_run(row: rows.Row, seed: int, objective: str | None = None, **figures) -> dict:
    (run,) = runs_of(row, {seed: 3.0}, objective)
    return dict(run, **figures)


def test_the_quality_summary_averages_seeds_and_keeps_recipes_and_rescored_rows_apart():
    from tools.benchmarks import quality

    rr, msra, rtm = quality.ROWS[0], quality.ROWS[1], quality.ROWS[2]
    other_recipe = rows.Row(
        'rtmpose-t', rtm.objective, 128, (0,), rtm.epochs, recipe=rows.RTMPoseRecipe(2e-3)
    )
    runs = [
        quality_run(rr, 0, ECE=0.10, **{'NME/visible points': 2.0}),
        quality_run(rr, 1, ECE=0.20, **{'NME/visible points': 3.0}),
        quality_run(rr, 0, rr.objective + quality.CALIBRATED, ECE=0.02),
        quality_run(msra, 0, ECE=0.30),
        quality_run(rtm, 0, ECE=0.40),
        quality_run(other_recipe, 0, ECE=0.90),  # another recipe: another row
    ]
    summary = quality.summarise(runs)
    by_row = [(s['arch'], s['row'], s['seeds'], s['ECE']) for s in summary]
    assert by_row == [
        ('mobilenetv2', 'two-class spatial', 2, pytest.approx(0.15)),
        ('mobilenetv2', 'two-class spatial, calibrated', 1, 0.02),
        ('mobilenetv2', 'MSRA', 1, 0.30),
        ('rtmpose-t', 'SimCCLabel s=2', 1, 0.40),
        ('rtmpose-t', 'SimCCLabel s=2', 1, 0.90),
    ]
    assert summary[0]['NME/visible points'] == 2.5 and summary[2]['NME/visible points'] is None
    text = quality.section(dict(runs=runs), {})
    # six runs, one of which re-scores another's predictions: five trainings
    assert '- Measured: 2026-12-01 to 2026-12-02, 5 trained models, at commit abc1234' in text
    row = '| mobilenetv2 128 | two-class spatial | 60 | 2 | - | 2.50 | - | - | - | - | 0.150 |'
    assert row in text


def test_an_rtmpose_expectation_within_two_standard_errors_is_not_yet_decided(stored):
    """RR's mean is below stock's, but the paired difference (-0.05 ± 0.15)
    lies within two standard errors of zero."""
    runs = runs_of(rtmpose.ROWS[0], {0: 2.0, 1: 2.4}) + runs_of(rtmpose.ROWS[1], {0: 2.1, 1: 2.2})
    (line, *_) = rtmpose.expectations(rtmpose.summarise(runs), runs)
    assert line.endswith(
        '**holds on the means, paired seeds not decisive yet** (2.15 against 2.20 %)'
    )


def test_the_64_input_expectation_is_set_beside_what_halving_the_input_costs_every_model():
    by = {r.name: r for r in rtmpose.ROWS}
    runs = (
        runs_of(by['rtmpose-t 128 RR s=2'], {0: 1.4})
        + runs_of(by['rtmpose-t 64 RR s=1'], {0: 2.4})
        + runs_of(by['rtmpose-t 128 SimCCLabel s=2'], {0: 1.5})
    )
    heatmap = {
        r.input: r
        for r in resolution.ROWS
        if (r.arch, r.stride, r.objective) == ('mobilenetv2', 4, resolution.RR)
    }
    measured = dict(runs=runs_of(heatmap[128], {0: 1.8}) + runs_of(heatmap[64], {0: 1.9}))
    summary = rtmpose.summarise(runs)
    assert rtmpose.input_halving_sentence(summary, measured) == ''  # stock at 64 missing
    runs += runs_of(by['rtmpose-t 64 SimCCLabel s=2'], {0: 2.7})
    sentence = rtmpose.input_halving_sentence(rtmpose.summarise(runs), measured)
    assert 'RR (s=2 at 128, s=1 at 64) 1.40 to 2.40 % (1.71x)' in sentence
    assert 'SimCCLabel s=2 1.50 to 2.70 % (1.80x)' in sentence
    assert sentence.endswith('(1.06x); within 10 %: MobileNetV2, two-class spatial.')


def test_an_rtmpose_expectation_on_one_seed_says_so(stored):
    """The s = 0.5 rows on seed 0 only: the verdict is given, and said to
    rest on one seed; with a second seed of both, on the means (a ratio of
    means across four rows has no paired test)."""
    by = {r.name: r for r in rtmpose.ROWS}
    runs = runs_of(rtmpose.ROWS[0], {0: 2.0, 1: 2.4}) + runs_of(rtmpose.ROWS[1], {0: 1.8, 1: 2.0})
    rr05, stock05 = by['rtmpose-t 128 RR s=0.5'], by['rtmpose-t 128 SimCCLabel s=0.5']
    one = runs + runs_of(rr05, {0: 1.9}) + runs_of(stock05, {0: 2.6})
    line = rtmpose.expectations(rtmpose.summarise(one), one)[1]
    assert '**holds on one seed, not yet repeated** (RR 1.90 / 1.90, stock 2.60 / 2.20 %)' in line
    two = one + runs_of(rr05, {1: 1.9}, None)[-1:] + runs_of(stock05, {1: 2.7})[-1:]
    line = rtmpose.expectations(rtmpose.summarise(two), two)[1]
    assert '**holds on the means of the seeds** (RR 1.90 / 1.90, stock 2.65 / 2.20 %)' in line


def test_the_rtmpose_input_expectation_quotes_the_flops_it_assumed(stored):
    """ "At a quarter of the FLOPs" is the expectation's premise: the line
    gives the measured ratio from the costs study instead of assuming it."""
    stock, rr64 = (
        rtmpose.named('rtmpose-t 128 SimCCLabel s=2'),
        rtmpose.named('rtmpose-t 64 RR s=1'),
    )
    runs = runs_of(stock.row, {0: 1.5}) + runs_of(rr64.row, {0: 2.0})
    costs = dict(
        rows=[
            dict(arch='rtmpose-t', input=128, stride=4, row='SimCCLabel s=2', gflops=0.2),
            dict(arch='rtmpose-t', input=64, stride=4, row='RR s=1', gflops=0.08),
        ]
    )
    line = rtmpose.expectations(rtmpose.summarise(runs), runs, costs)[-1]
    assert line.endswith(
        '**fails on one seed, not yet repeated** (2.00 against 1.50 %, within 10 %: no; '
        "0.40x the FLOPs: the backbone shrinks with the input, RTMCCHead's attention over "
        'the keypoints does not)'
    )
    assert rtmpose.expectations(rtmpose.summarise(runs), runs)[-1].endswith('**not measured yet**')
    # within 10 % on NME, but 0.4x is no quarter: the expectation fails on its cost half
    close = runs_of(stock.row, {0: 1.5}) + runs_of(rr64.row, {0: 1.6})
    line = rtmpose.expectations(rtmpose.summarise(close), close, costs)[-1]
    assert '**fails on one seed, not yet repeated** (1.60 against 1.50 %, within 10 %: yes;' in line


def test_an_undecided_rtmpose_pair_trains_more_seeds(stored):
    """-0.05 ± 0.15 over the rows' own three seeds is not decisive: both
    rows of the pair plan rows.MAX_SEEDS seeds, and the page lists the
    missing ones; a decisive pair keeps its rows' own seeds."""
    stock, rr = rtmpose.ROWS[0], rtmpose.ROWS[1]
    undecided = runs_of(stock, {0: 2.0, 1: 2.4, 2: 2.2}) + runs_of(rr, {0: 2.1, 1: 2.2, 2: 2.1})
    plan = {r.name: r.seeds for r in rtmpose.planned(undecided)}
    assert plan[stock.name] == plan[rr.name] == tuple(range(rows.MAX_SEEDS))
    assert plan['rtmpose-t 64 RR s=1'] == (0, 1, 2)
    text = rtmpose.section(dict(runs=undecided), stored)
    assert f'`{rr.name}` (seeds 3, 4)' in text and f'`{stock.name}` (seeds 3, 4)' in text
    assert 'points (standard error, seeds 0, 1, 2): not decisive' in text
    decided = runs_of(stock, {0: 2.0, 1: 2.4, 2: 2.2}) + runs_of(rr, {0: 1.5, 1: 1.8, 2: 1.7})
    assert rtmpose.planned(decided) == rtmpose.ROWS
    # not yet every own seed of both rows: nothing to decide yet
    assert rtmpose.planned(undecided[:-1]) == rtmpose.ROWS
    # the plan holds while the extra seeds train, though seed 3 alone would decide it
    seed_3 = runs_of(stock, {3: 3.0}) + runs_of(rr, {3: 1.0})
    assert rtmpose.planned(undecided + seed_3) == rtmpose.planned(undecided)


def test_the_rtmpose_command_trains_the_planned_seeds_unless_told_others(monkeypatch):
    """Without ``--seeds`` the command trains each row's planned seeds (more
    for an undecided pair); ``--seeds`` overrides them."""
    stock, rr = rtmpose.ROWS[0], rtmpose.ROWS[1]
    undecided = runs_of(stock, {0: 2.0, 1: 2.4, 2: 2.2}) + runs_of(rr, {0: 2.1, 1: 2.2, 2: 2.1})
    monkeypatch.setattr(study, 'load', lambda name: dict(runs=undecided))
    asked = []
    monkeypatch.setattr(rtmpose, 'run', lambda *args: asked.append(args) or dict(runs=[]))
    monkeypatch.setattr('sys.argv', ['rtmpose', '--rows', rr.name])
    rtmpose.main()
    monkeypatch.setattr('sys.argv', ['rtmpose', '--rows', rr.name, '--seeds', '7', '--rerun'])
    rtmpose.main()
    (first, none, no), (second, seven, yes) = asked
    assert [r.seeds for r in first] == [tuple(range(rows.MAX_SEEDS))] and none is None and not no
    assert [r.name for r in second] == [rr.name] and seven == (7,) and yes


def test_onnx_latency_keeps_one_row_per_model_and_cpu_kind(monkeypatch):
    """A run on another CPU kind adds its rows and keeps the stored ones; a
    row measured before INT8 was timed shows '-' there."""
    from tools.benchmarks import onnx_latency

    vnni = 'x86_64 AVX-512 VNNI AMX'
    older = dict(model='MobileNetV2 128x128', threads=2, repeats=20, isa=vnni, torch_ms=9.0)
    older |= dict(onnxruntime_ms=2.0, speedup=4.5, provenance=tag(0))
    measured = dict(older, isa='x86_64 AVX2', torch_ms=12.0, onnxruntime_ms=3.0, speedup=4.0)
    measured |= dict(int8_format='u8s7', int8_fp32_ms=3.0, int8_ms=3.3, int8_speedup=3 / 3.3)
    measured.pop('provenance')
    files = {'onnx_latency': dict(runs=[older])}
    monkeypatch.setattr(study, 'load', lambda name: files.get(name))
    monkeypatch.setattr(study, 'save', lambda name, result, tag=True: files.update({name: result}))
    monkeypatch.setattr(study, 'provenance', lambda command=None: tag(1))
    monkeypatch.setattr(onnx_latency, 'measure', lambda: [measured])
    result = onnx_latency.run()
    assert [r['isa'] for r in result['runs']] == [vnni, 'x86_64 AVX2']
    text = onnx_latency.section(result, {})
    assert '| MobileNetV2 128x128 | x86_64 AVX-512 VNNI AMX | 9.0 | 2.0 | 4.50 | - | - |' in text
    assert (
        '| MobileNetV2 128x128 | x86_64 AVX2 | 12.0 | 3.0 | 4.00 | 3.0 / 3.3 (u8s7) | 0.91 |'
        in text
    )
    assert '- Measured: 2026-12-01 to 2026-12-02, 2 measurements, at commit abc1234' in text
    monkeypatch.setattr(onnx_latency, 'measure', lambda: [dict(measured, torch_ms=11.0)])
    again = onnx_latency.run()['runs']  # the same CPU kind again: its row is replaced
    assert len(again) == 2 and again[-1]['torch_ms'] == 11.0


def test_the_edge_study_emulates_a_cpu_without_vnni_only_on_a_cpu_with_it(monkeypatch, tmp_path):
    """On a CPU without VNNI the INT8 formats are measured natively there:
    no QEMU run, and the section says the figures are this CPU's."""
    import shutil
    import subprocess

    from rr_mmpose.deployment import runtime
    from tools.benchmarks import edge

    monkeypatch.setattr(shutil, 'which', lambda name: '/usr/bin/' + name)
    emulated = []

    def emulate(command, **kwargs):  # as int8_keypoints would, under QEMU
        emulated.append(command)
        np.savez(command[-1], m=np.zeros((1, 2, 2)))

    monkeypatch.setattr(subprocess, 'run', emulate)
    crops = np.zeros((1, 3, 8, 8), np.float32)
    avx2 = dict(machine='x86_64', avx2=True, avx512=False, vnni=False, amx=False)
    monkeypatch.setattr(runtime, 'cpu_isa', lambda cpuinfo=None: avx2)
    assert edge.emulated_keypoints([], crops, tmp_path) is None
    assert not emulated and not list(tmp_path.iterdir())  # nothing run or written
    vnni = dict(avx2, avx512=True, vnni=True)
    monkeypatch.setattr(runtime, 'cpu_isa', lambda cpuinfo=None: vnni)
    assert list(edge.emulated_keypoints([], crops, tmp_path)) == ['m']
    assert emulated[0][:3] == ['/usr/bin/qemu-x86_64', '-cpu', 'Haswell']
    entry = dict(format='u8s7', ms_1t=2.0, native=dict(nme=3.0, mean=0.1, p90=0.2, max=0.3))
    formats = dict(row=dict(arch='mobilenetv2', input=128, row='two-class spatial'))
    formats |= dict(isa='x86_64 AVX2', emulated_cpu=None, faces=300, emulated_faces=64)
    formats['formats'] = [dict(entry, format='fp32'), entry]
    result = dict(rows=[], repeats=20, quantization_crops=64, formats=formats)
    text = edge.section(result, {})
    assert 'on this CPU (x86_64 AVX2). Shift: keypoint distance from FP32' in text
    assert 'QEMU' not in text


def test_the_compute_table_names_the_cheapest_rr_row_at_each_peers_best_and_its_budget():
    """Each peer's best NME, and the least GFLOPs at which a randomized
    rounding row reaches it, any row and one of the peer's backbone and
    budget; an answer trained on another budget says so."""

    def point(
        label: str, gflops: float, nme: float, family: str, iterations: int = 900, seeds: int = 3
    ) -> dict:
        arch = label.split()[0]
        return dict(
            label=label,
            arch=arch,
            gflops=gflops,
            nme=nme,
            family=family,
            iterations=iterations,
            seeds=seeds,
        )

    points = [
        point('mobilenetv2 256 MSRA', 0.43, 2.0, 'MSRA'),
        point('mobilenetv2 128 MSRA + DARK', 0.11, 2.6, rows.DARK),
        point('mobilenetv2 128 RR', 0.12, 1.7, 'randomized rounding'),
        point('mobilenetv2 64 RR', 0.03, 2.8, 'randomized rounding'),
        point('rtmpose-t 64 RR s=1', 0.07, 2.4, 'randomized rounding', 5400),
        point('mobilenetv2 64 UDP', 0.027, 1.0, 'UDP', seeds=1),
    ]
    lines = resolution.compute_table(points).splitlines()
    assert lines[2] == (
        '| MSRA | 2.00 (0.430, mobilenetv2 256 MSRA) | 0.120 (mobilenetv2 128 RR, 1.70 %; 0.28x) '
        '| 0.120 (mobilenetv2 128 RR, 1.70 %; 0.28x) |'
    )
    assert lines[3] == (
        '| MSRA + DARK | 2.60 (0.110, mobilenetv2 128 MSRA + DARK) | 0.070 (rtmpose-t 64 RR s=1, '
        '2.40 %; 0.64x; trained 5400 iterations against 900) | 0.120 (mobilenetv2 128 RR, '
        '1.70 %; 1.09x) |'
    )
    # unreached: the closest RR row instead, and a one-seed mean says so
    assert lines[4] == (
        '| UDP | 1.00 (0.027, mobilenetv2 64 UDP, one seed) | none reaches it (closest: '
        'mobilenetv2 128 RR, 1.70 %) | none reaches it (closest: mobilenetv2 128 RR, 1.70 %) |'
    )
    assert (
        resolution.compute_table(points[-1:])
        .splitlines()[2]
        .endswith('| none reaches it | none reaches it |')
    )


def test_the_pareto_front_is_named_and_rows_without_costs_are_listed_not_dropped(stored):
    """The section names the rows on the front, least compute first, and
    every converged row the plot leaves out for want of its costs."""
    summary = resolution.summarise(stored['resolution']['runs'])
    assert resolution.front_line([]) == ''
    missing = resolution.unplotted_line(summary, stored, [])  # the fixture stores no costs
    assert missing.startswith(
        'Not plotted yet, their costs not measured (`python -m tools.benchmarks.costs`): '
    )
    assert 'mobilenetv2 128 two-class spatial' in missing and 'rtmpose-t 128 RR s=2' in missing
    costs = [
        dict(arch='mobilenetv2', input=size, stride=4, row=row, gflops=g)
        for size, row, g in [
            (128, 'two-class spatial', 0.12),
            (128, 'MSRA', 0.11),
            (64, 'two-class spatial', 0.03),
        ]
    ]
    with_costs = dict(stored, costs=dict(rows=costs))
    points = resolution.converged_points(summary, with_costs)
    assert resolution.front_line(points) == (
        'On the Pareto front, least compute first: mobilenetv2 64 two-class spatial (0.030 '
        'GFLOPs, 2.80 %), mobilenetv2 128 two-class spatial (0.120 GFLOPs, 2.10 %).'
    )
    missing = resolution.unplotted_line(summary, with_costs, points)
    assert 'mobilenetv2 128 MSRA' not in missing and 'mobilenetv2 256 MSRA' in missing
    assert resolution.unplotted_line(summary[:1], {}, points[:1]) == ''


def test_a_paired_difference_is_decisive_by_a_t_test_not_by_two_standard_errors():
    """Two seeds differing by -0.5 and -0.6: the mean lies 11 standard
    errors from 0, past two but short of Student's 12.7 at one degree of
    freedom; a third seed at -0.55 decides it (4.3 at two)."""
    stock, rr = rtmpose.ROWS[0], rtmpose.ROWS[1]
    two = runs_of(stock, {0: 2.0, 1: 2.6}) + runs_of(rr, {0: 1.5, 1: 2.0})
    d = rows.paired_difference(two, rr.keys()[0], stock.keys()[0])
    assert d['mean'] == pytest.approx(-0.55) and d['sem'] == pytest.approx(0.05)
    assert not d['decisive']
    three = two + runs_of(stock, {2: 2.3}) + runs_of(rr, {2: 1.75})
    assert rows.paired_difference(three, rr.keys()[0], stock.keys()[0])['decisive']


def test_the_stride_ablation_reads_across_the_measured_strides(stored):
    """Each objective from stride 4 to the coarsest stride measured, with
    its growth; an objective without its stride-4 row or a second stride is
    left out."""
    runs = stored['resolution']['runs'] + runs_of(
        by_name('mobilenetv2 128 stride 16 two-class spatial'), {0: 4.2}
    )
    (line,) = resolution.stride_lines(resolution.summarise(runs))
    assert line == '- two-class spatial: 2.10 → 4.20 % at strides 4, 16 (2.0x from stride 4 to 16)'
    assert resolution.stride_lines(resolution.summarise(stored['resolution']['runs'])) == []
    # with MMPose's target placement counted, the growth says what it includes
    placed = dict(
        rows=[
            dict(input=128, stride=stride, objective='MSRA', share=share)
            for stride, share in ((4, 0.08), (8, 0.31), (16, 0.82))
        ]
    )
    lines = resolution.stride_lines(resolution.summarise(runs), {'target_placement': placed})
    assert lines[-1].startswith(
        "MSRA's and MSRA + DARK's growth includes MMPose's misplaced training targets, 8 % at "
        'stride 4, 31 % at stride 8, 82 % at stride 16'
    )


def test_heatmap_rows_are_judged_flat_at_their_final_learning_rate_not_across_its_step():
    """The paper configs step the rate down at epoch 55 of 60: a curve that
    falls at the step and is flat after it changes by more than 5 % over
    its last fifth, by nothing at the final rate."""
    (run,) = runs_of(resolution.ROWS[0], {0: 2.0})
    run['nme'] = [2.2] * 55 + [2.0] * 5
    assert rows.final_rate_start(run['arch'], run['epochs']) == 55
    assert rows.last_fifth_change(run['nme']) == pytest.approx(0.1)
    assert rows.final_rate_change(run) == 0
    assert resolution.flatness([run]).endswith('every run under 5 %.')
    assert 'from epoch 56 to 60, all at the final learning rate' in resolution.flatness([run])


def test_the_flatness_measure_is_given_for_every_run():
    """Not only the stock row the recipe was chosen on: every run's change
    over its last fifth, naming those at or above the goal."""
    flat, rising = rtmpose.ROWS[0], rtmpose.ROWS[1]
    runs = runs_of(flat, {0: 2.0}) + runs_of(rising, {1: 2.0})
    epochs = flat.epochs
    runs[0]['nme'] = [2.0] * epochs
    runs[1]['nme'] = [2.2] * (epochs - 1) + [2.0]
    line = rows.flatness_line(runs, 0.05, 'every run')
    assert line.startswith(
        'The flatness measure (the change over the last fifth of the epochs) on every run: at '
        'most 10.0 %'
    )
    assert f'at or above 5 %: {rising.name}, seed 1 (10.0 %).' in line
    runs[1]['nme'] = [2.0] * epochs
    assert line != rows.flatness_line(runs, 0.05, 'every run')
    assert rows.flatness_line(runs, 0.05, 'every run').endswith('every run under 5 %.')
    assert rows.flatness_line([], 0.05, 'every run') == ''


def test_the_best_epoch_line_names_the_rows_that_got_worse_before_the_end():
    by = {(r.arch, r.input, r.stride, r.objective): r for r in resolution.ROWS}
    steady = runs_of(by['mobilenetv2', 128, 4, resolution.RR], {0: 2.0})
    worse = runs_of(by['mobilenetv2', 128, 16, 'MSRA'], {0: 3.0})
    steady[0]['nme'] = [3.0] * 59 + [2.0]
    worse[0]['nme'] = [3.0] * 9 + [2.5] + [3.0] * 50
    line = rows.best_epoch_line(resolution.summarise(steady + worse))
    assert line == (
        'Rows that ended more than 5 % above their best epoch (mean curves of the seeds; they '
        'got worse before the end): mobilenetv2 128 stride 16 MSRA, 20.0 % (2.50 at epoch 10, '
        '3.00 at the end).'
    )
    line = rows.best_epoch_line(resolution.summarise(steady))
    assert line.startswith('No row ended more than 5 % above its best epoch')
    assert rows.best_epoch_line([]) == ''


def test_the_costs_section_gives_the_noise_band_of_its_ratios():
    from tools.benchmarks import costs

    def row(objective: str, ratio: float) -> dict:
        return dict(row=objective, train_vs_stock=ratio)

    measured = dict(rows=[row('MSRA', 1.0), row(rows.DARK, 0.9), row(rows.DARK, 1.08)])
    assert 'range from 0.90 to 1.08 (2 rows)' in costs.noise_sentence(measured)
    assert costs.noise_sentence(dict(rows=measured['rows'][:2])) == ''


def test_the_costs_section_gives_the_noise_of_its_latencies_from_rows_of_one_network():
    """MSRA, MSRA + DARK, DARK and UDP run one graph at equal backbone, input
    and stride: the spread of their onnxruntime times is the noise."""
    from tools.benchmarks import costs

    def row(objective: str, ms: float, size: int = 128) -> dict:
        return dict(arch='mobilenetv2', input=size, stride=4, row=objective, onnxruntime_ms=ms)

    measured = dict(
        rows=[
            row('MSRA', 2.0),
            row(rows.DARK, 2.5),
            row('UDP', 2.2),
            row('two-class spatial', 9.0),  # another network: not noise
            row('MSRA', 1.0, size=64),
            row('DARK', 1.1, size=64),
        ]
    )
    sentence = costs.latency_noise_sentence(measured)
    assert 'differ by up to 25 % (mobilenetv2 128, 3 rows; 2 such groups)' in sentence
    alone = dict(rows=[row('MSRA', 2.0), row('two-class spatial', 9.0)])
    assert costs.latency_noise_sentence(alone) == ''


def test_the_quality_section_names_the_command_that_calibrates_rows_stored_without():
    """Runs stored before the peers were calibrated: the page names their
    rows, re-decoded ones too, with one command per study row that retrains
    just the seeds without a twin; a row the study no longer trains gets no
    command."""
    from tools.benchmarks import quality

    def run(objective: str, seed: int, arch: str = 'mobilenetv2') -> dict:
        return dict(arch=arch, input=128, row=objective, seed=seed)

    rr, simcc = quality.ROWS[0].objective, quality.ROWS[2].objective
    twin = quality.CALIBRATED
    runs = [run(rr, 0), run(rr + twin, 0), run('MSRA', 0), run('MSRA', 1), run(rows.DARK, 0)]
    runs += [run('MSRA' + twin, 1), run(rows.DARK + twin, 1)]  # seed 1 is calibrated
    runs += [run(simcc, 3, 'rtmpose-t')]
    assert quality.uncalibrated_peers(runs) == (
        'Stored without a calibrated row: mobilenetv2 128 MSRA, mobilenetv2 128 MSRA + DARK, '
        'rtmpose-t 128 SimCCLabel s=2 (`python -m tools.benchmarks.quality --rows '
        "'mobilenetv2 128 MSRA' --seeds 0 --rerun` and `python -m tools.benchmarks.quality "
        "--rows 'rtmpose-t 128 SimCCLabel s=2' --seeds 3 --rerun` add them). "
    )
    assert quality.uncalibrated_peers(runs[:2]) == ''
    gone = [run('MSRA', 0, 'hrnetv2-w18')]
    assert quality.uncalibrated_peers(gone) == (
        'Stored without a calibrated row: hrnetv2-w18 128 MSRA. '
    )


def test_the_quality_goal_line_judges_randomized_rounding_against_each_peers_best():
    from tools.benchmarks import quality

    def entry(objective: str, ece: float, occluded: float, failed: float, nme: float) -> dict:
        return {
            'arch': 'mobilenetv2',
            'input': 128,
            'row': objective,
            'ECE': ece,
            'AUROC/occluded': occluded,
            'AUROC/failed': failed,
            'NME/occluded points': nme,
        }

    summary = [
        entry(resolution.RR, 0.09, 0.87, 0.92, 7.8),
        entry(resolution.RR + quality.CALIBRATED, 0.02, 0.87, 0.92, 7.8),
        entry('MSRA', 0.06, 0.76, 0.86, 7.7),
        entry(rows.DARK, 0.08, 0.76, 0.87, 7.0),
    ]
    (line,) = quality.goal_lines(summary)
    assert line == (
        '- mobilenetv2 128 two-class spatial: ECE 0.090 (**not met**), calibrated 0.020 '
        "(**met**); the peers' raw ECE, best 0.060 (their scores are not calibrated); "
        'AUROC/occluded 0.870 against 0.760 (**met**); AUROC/failed 0.920 against 0.870 '
        '(**met**); NME on occluded points 7.80 against 7.00 (higher)'
    )


def test_the_quality_goal_line_sets_calibrated_peers_beside_calibrated_randomized_rounding():
    """Runs measured since the peers' scores are calibrated too: the line
    names each peer's ECE raw and calibrated, and judges the AUROCs
    against the peers' better ranking (calibrated scores have no clipping
    ties)."""
    from tools.benchmarks import quality

    def entry(objective: str, ece: float, failed: float = 0.9) -> dict:
        return {
            'arch': 'mobilenetv2',
            'input': 128,
            'row': objective,
            'ECE': ece,
            'AUROC/occluded': 0.8,
            'AUROC/failed': failed,
            'NME/occluded points': 7.0,
        }

    calibrated = quality.CALIBRATED
    summary = [
        entry(resolution.RR, 0.09, 0.92),
        entry(resolution.RR + calibrated, 0.02, 0.92),
        entry('MSRA', 0.06),
        entry('MSRA' + calibrated, 0.03, 0.93),
        entry(rows.DARK, 0.08),
    ]
    (line,) = quality.goal_lines(summary)
    assert "; the peers' ECE, raw / calibrated: MSRA 0.060 / 0.030, MSRA + DARK 0.080 / -; " in line
    assert 'AUROC/failed 0.920 against 0.930 (**not met**)' in line


def test_a_peers_scores_are_clipped_or_platt_scaled_from_the_unclipped_score():
    from tools.benchmarks import quality

    raw = np.array([[-0.2, 0.3, 0.7, 1.4]], np.float32)
    clipped = [{'pred_instances': {'keypoint_scores': raw.copy()}}]
    quality.as_probabilities(clipped)
    np.testing.assert_allclose(clipped[0]['pred_instances']['keypoint_scores'], [[0, 0.3, 0.7, 1]])
    mapped = [{'pred_instances': {'keypoint_scores': raw.copy()}}]
    quality.as_probabilities(mapped, (2.0, -1.0))
    # sigmoid(2 s - 1) by hand: a score above 1 keeps its rank
    expected = [[0.197816, 0.401312, 0.598688, 0.858149]]
    np.testing.assert_allclose(mapped[0]['pred_instances']['keypoint_scores'], expected, atol=1e-6)


def test_platt_scaling_recovers_the_logistic_that_drew_the_outcomes_and_refuses_one_outcome():
    from tools.benchmarks import quality

    rng = np.random.default_rng(0)
    scores = rng.uniform(-1, 2, 20000)
    correct = rng.uniform(size=scores.size) < 1 / (1 + np.exp(-(3 * scores - 1)))
    slope, intercept = quality.fit_platt(scores, correct)
    assert slope == pytest.approx(3, abs=0.2) and intercept == pytest.approx(-1, abs=0.1)
    with pytest.raises(ValueError, match='all 3 keypoints agree'):
        quality.fit_platt(np.array([0.1, 0.5, 2.0]), np.ones(3, bool))


def test_the_costs_section_says_why_heads_count_different_flops():
    from tools.benchmarks import costs

    def row(objective: str, gflops: float, size: int = 128) -> dict:
        return dict(arch='mobilenetv2', input=size, stride=4, row=objective, gflops=gflops)

    measured = dict(
        rows=[row('two-class spatial', 0.118), row('MSRA', 0.108), row('MSRA', 0.03, 64)]
    )
    sentence = costs.head_flops_sentence(measured)
    assert sentence.startswith(
        'GFLOPs of MobileNetV2 at 128 input, by head: two-class spatial 0.118, MSRA 0.108.'
    )
    assert costs.head_flops_sentence(dict(rows=[])) == ''


def test_costs_measure_the_stock_row_of_every_backbone_input_and_stride():
    """Every cost ratio has its reference: the stock row of its backbone,
    input and stride is measured even where no study trains it (HRNet-W18
    at 256 trains RR against DARK, not MSRA)."""
    from tools.benchmarks import costs

    measured = {(r.arch, r.input, r.stride, r.objective) for r in costs.models()}
    assert ('hrnetv2-w18', 256, 4, 'MSRA') in measured
    for arch, size, stride, _ in measured:
        assert (arch, size, stride, costs.STOCK[arch]) in measured


def test_the_deviations_quote_the_linear_rate_and_the_longer_run_from_the_search():
    """The learning rate's and the schedule's reasons read the search's
    stored figures: how the linearly scaled rate ended, and whether a longer
    candidate ended lower than the study recipe."""
    from tools.benchmarks import rtmpose_budget

    chosen = next(
        n for n, c in rtmpose_budget.CANDIDATES.items() if c == (rtmpose.RECIPE, rtmpose.EPOCHS)
    )
    longer = max(rtmpose_budget.CANDIDATES, key=rtmpose_budget.candidate_iterations)
    runs = [
        budget_run(rtmpose_budget.LINEAR, 5.3, 0.1),
        budget_run(rtmpose_budget.LINEAR_PEER, 3.27, 0.1),
        budget_run(chosen, 1.44, 0.02),
        budget_run(longer, 1.5, 0.02),
    ]
    table = '\n'.join(rtmpose.deviations_table(dict(runs=runs)))
    iterations = rtmpose_budget.candidate_iterations(rtmpose_budget.LINEAR)
    assert f'(at {iterations} iterations, 1.25e-4 ended at 5.30 % against 3.27 % at 1e-3)' in table
    assert '(no longer run of the search ends lower)' in table
    runs[-1] = budget_run(longer, 1.3, 0.02)
    table = '\n'.join(rtmpose.deviations_table(dict(runs=runs)))
    assert (
        f"in the search, {longer} ends at 1.30 % against the study recipe's 1.44 % there" in table
    )
    empty = '\n'.join(rtmpose.deviations_table(None))
    assert 'scaled linearly (4e-3 x 16 / 512), not run yet;' in empty
    assert "(the search's run of this recipe not stored yet)" in empty
    assert '{' not in empty
    # the linear rate as good as its peer: the table says so, not that it is slow
    runs[0] = budget_run(rtmpose_budget.LINEAR, 3.0, 0.1)
    assert 'it learns as well (at ' in '\n'.join(rtmpose.deviations_table(dict(runs=runs)))


def test_a_pair_undecided_at_the_most_seeds_says_so_everywhere(stored):
    """Once both rows hold rows.MAX_SEEDS seeds and the pair is still not
    decisive, the expectation and the paired line say it stays undecided,
    not that it waits for seeds."""
    stock, rr = rtmpose.ROWS[0], rtmpose.ROWS[1]
    runs = runs_of(stock, {0: 2.0, 1: 2.4, 2: 2.2, 3: 2.1, 4: 2.3}) + runs_of(
        rr, {0: 2.1, 1: 2.2, 2: 2.1, 3: 2.3, 4: 2.2}
    )
    (line, *_) = rtmpose.expectations(rtmpose.summarise(runs), runs)
    assert '**holds on the means, paired seeds not decisive over 5 seeds**' in line
    # differences +0.1, -0.2, -0.1, +0.2, -0.1: mean -0.02, standard error 0.0735, and
    # t(0.975, 4) = 2.776 of them each side bound the effect: -0.22 to +0.18
    assert (
        'seeds 0, 1, 2, 3, 4): not decisive over 5 seeds; 95 % interval -0.22 to +0.18'
        in '\n'.join(rtmpose.paired_lines(runs))
    )


def test_the_draw_is_paired_with_its_expectation_without_training_more_seeds():
    """RR s=1 against RR expected s=1 isolates the random draw: its paired
    line is given, undecided without 'yet', and it asks for no more seeds."""
    rr, expected = (rtmpose.named(f'rtmpose-t 128 RR {kind}s=1').row for kind in ('', 'expected '))
    runs = runs_of(rr, {0: 1.30, 1: 1.36}) + runs_of(expected, {0: 1.33, 1: 1.31})
    line = rtmpose.paired_lines(runs)[0]
    assert line.startswith('- RR s=1 minus RR expected s=1 at 128 input: ')
    assert line.endswith('(standard error, seeds 0, 1): not decisive; 95 % interval -0.50 to +0.52')
    planned = {r.objective: r.seeds for r in rtmpose.planned(runs) if r.input == 128}
    assert planned['RR s=1'] == rr.seeds and planned['RR expected s=1'] == expected.seeds


def test_a_paired_difference_prints_an_error_under_a_hundredth_to_three_decimals():
    """0.005 printed to 2 decimals would read as no error at all; identical
    runs (mean 0, error 0) decide nothing."""
    stock, rr = rtmpose.ROWS[0], rtmpose.ROWS[1]

    def paired(ours: dict[int, float], theirs: dict[int, float]) -> dict:
        runs = runs_of(rr, ours) + runs_of(stock, theirs)
        return rtmpose.paired(runs, rr.objective, stock.objective, 128)

    d = paired({0: 1.0, 1: 1.01, 2: 1.0}, {0: 1.66, 1: 1.66, 2: 1.67})
    assert rows.paired_figures(d) == ('-0.660', '0.006')
    assert rows.paired_figures(dict(mean=-0.3, sem=0.03)) == ('-0.30', '0.03')
    same = paired({0: 1.0, 1: 2.0}, {0: 1.0, 1: 2.0})
    assert (same['mean'], same['sem'], same['decisive']) == (0.0, 0.0, False)
    assert rows.paired_verdict(same, interval=False) == 'not decisive yet'
    assert same['across_cpus'] == [] and rows.across_cpus_note(same) == ''


def test_a_seed_paired_across_cpu_kinds_is_named():
    """One config and seed repeats exactly on one CPU kind only: a seed
    whose two runs trained on different kinds is named in the paired line."""
    stock, rr = rtmpose.ROWS[0], rtmpose.ROWS[1]
    runs = runs_of(rr, {0: 1.4, 1: 1.5, 2: 1.45}) + runs_of(stock, {0: 1.5, 1: 1.6, 2: 1.5})
    other = 'Intel(R) Xeon(R) Processor (x86_64 AVX-512 VNNI AMX), 2 cores, no GPU'
    runs[1]['provenance'] = dict(runs[1]['provenance'], machine=other)
    d = rtmpose.paired(runs, rr.objective, stock.objective, 128)
    assert d['across_cpus'] == [1]
    assert rows.across_cpus_note(d) == '; seed 1 paired across CPU kinds'
    assert 'seeds 0, 1, 2; seed 1 paired across CPU kinds): ' in '\n'.join(
        rtmpose.paired_lines(runs)
    )


def test_the_kept_rate_premise_counts_the_runs_that_end_flat():
    """Keeping the paper configs' rate rests on the runs settling: the
    sentence counts them from the flatness measure, not asserting it."""
    row = by_name('mobilenetv2 128 two-class spatial')
    start = rows.final_rate_start(row.arch, row.epochs)
    flat, moving = runs_of(row, {0: 2.0, 1: 2.1}), runs_of(row, {2: 2.0})
    for run in flat + moving:  # level from the last step down
        run['nme'][start:] = [run['nme'][-1]] * (row.epochs - start)
    moving[0]['nme'][start] = 3.0  # still falling at the last rate
    assert resolution.settled([]) == 'and these rows train at it'
    assert resolution.settled(flat).startswith('and every run here ends flat')
    assert resolution.settled(flat + moving).startswith('and 2 of the 3 runs here end')


def test_the_plot_labels_every_point_and_names_each_family_once(tmp_path, monkeypatch):
    """Each point gets its label; the legend holds each family once, and
    the front."""
    import matplotlib.axes

    labelled = []
    original = matplotlib.axes.Axes.text

    def record(self, x, y, text, *args, **kwargs):
        labelled.append(text)
        return original(self, x, y, text, *args, **kwargs)

    monkeypatch.setattr(matplotlib.axes.Axes, 'text', record)
    points = [
        dict(label='a', gflops=0.1, nme=2.0, family='MSRA'),
        dict(label='b', gflops=0.2, nme=1.0, family='randomized rounding'),
        dict(label='c', gflops=0.3, nme=1.5, family='randomized rounding'),
    ]
    legends = []
    monkeypatch.setattr(
        matplotlib.axes.Axes,
        'legend',
        lambda self, **kw: legends.append(self.get_legend_handles_labels()[1]),
    )
    resolution.plot(points, tmp_path / 'plot.png')
    assert labelled == ['a', 'b', 'c']
    assert legends == [['MSRA', 'randomized rounding', 'Pareto front']]


def test_a_run_resumed_after_a_stop_is_named_with_the_commits_that_trained_it(stored):
    """The run file records each stop; the section says which run resumed,
    after which epoch, and which commit had trained up to it."""
    runs = runs_of(by_name('hrnetv2-w18 128 UDP'), {0: 3.0, 1: 3.4})  # not in the fixture
    plain = rows.training_provenance(runs, 'x')
    assert plain == study.provenance_lines([r['provenance'] for r in runs], 'x', 'trained model')
    runs[1]['resumed'] = [dict(epoch=14, commit='5b7cf3a'), dict(epoch=40, commit='abc1234')]
    assert rows.training_provenance(runs, 'x') == plain + (
        '\n- Resumed after a stop: hrnetv2-w18 128 UDP, seed 1, after epoch 14 (trained to it '
        'at commit 5b7cf3a) and epoch 40 (trained to it at commit abc1234)'
    )
    text = resolution.section(dict(runs=stored['resolution']['runs'] + runs[1:]), stored)
    assert '\n- Resumed after a stop: hrnetv2-w18 128 UDP, seed 1, after epoch 14' in text
