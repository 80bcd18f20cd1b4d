"""RTMPose's study recipe: the smallest from-scratch budget under which
stock RTMPose-t (``SimCCLabel``, s = 2, 128 input) converges on the
generated faces, searched on one seed.

    python -m tools.benchmarks.rtmpose_budget [--candidates NAME ...] [--seeds 0] [--rerun]

Each candidate is an :class:`~tools.benchmarks.rows.RTMPoseRecipe`
and a number of epochs. The criteria, fixed before the search: a final NME
at most ``GOAL_RATIO`` times that of MobileNetV2's randomized rounding row
at 128 input trained to its configs' own schedule, and an NME curve that
changes by less than ``FLAT`` (relative) over the last fifth of its epochs.
Runs are stored as each ends (``docs/benchmarks/rtmpose_budget.json``); a
stopped search resumes with the runs it lacks.
"""

from __future__ import annotations

import argparse
import dataclasses
import json

from . import rows, study
from .rows import Row, RTMPoseRecipe

OBJECTIVE, INPUT = 'SimCCLabel s=2', 128
GOAL_RATIO, FLAT = 1.5, 0.05
# MMPose's AdamW 4e-3 is for a total batch of 512 (auto_scale_lr); the
# study's batch is 16, so linear scaling gives 1.25e-4.
LINEAR_LR = 4e-3 * rows.BATCH / 512
CANDIDATES = {
    'mmpose lr, 20 ep': (RTMPoseRecipe(), 20),
    'linear lr, warm-up 5 %, stage2, 240 faces, 60 ep': (
        RTMPoseRecipe(LINEAR_LR, 0.05, 'stage2', 240),
        60,
    ),
    'lr 5e-4, warm-up 5 %, stage2, 240 faces, 60 ep': (
        RTMPoseRecipe(5e-4, 0.05, 'stage2', 240),
        60,
    ),
    'lr 1e-3, warm-up 5 %, stage2, 240 faces, 60 ep': (
        RTMPoseRecipe(1e-3, 0.05, 'stage2', 240),
        60,
    ),
    'lr 1e-3, warm-up 5 %, mmpose pipelines, 240 faces, 60 ep': (
        RTMPoseRecipe(1e-3, 0.05, None, 240),
        60,
    ),
    'lr 1e-3, warm-up 5 %, stage2, 960 faces, 60 ep': (
        RTMPoseRecipe(1e-3, 0.05, 'stage2', 960),
        60,
    ),
    'lr 2e-3, warm-up 5 %, stage2, 960 faces, 60 ep': (
        RTMPoseRecipe(2e-3, 0.05, 'stage2', 960),
        60,
    ),
    # MMPose's own rate, unscaled (what MMPose trains at without --auto-scale-lr)
    'lr 4e-3, warm-up 5 %, stage2, 960 faces, 60 ep': (
        RTMPoseRecipe(4e-3, 0.05, 'stage2', 960),
        60,
    ),
    'lr 1e-3, warm-up 5 %, stage2, 960 faces, 120 ep': (
        RTMPoseRecipe(1e-3, 0.05, 'stage2', 960),
        120,
    ),
    'lr 1e-3, warm-up 5 %, stage2, 960 faces, decay ends at 80 %, 60 ep': (
        RTMPoseRecipe(1e-3, 0.05, 'stage2', 960, decay_end=0.8),
        60,
    ),
    'lr 1e-3, warm-up 5 %, stage2, 960 faces, decay ends at 70 %, 60 ep': (
        RTMPoseRecipe(1e-3, 0.05, 'stage2', 960, decay_end=0.7),
        60,
    ),
    'lr 1e-3, warm-up 5 %, stage2, 960 faces, decay ends at 70 %, 90 ep': (
        RTMPoseRecipe(1e-3, 0.05, 'stage2', 960, decay_end=0.7),
        90,
    ),
}
# The rate search: the candidates equal to this recipe but for their
# learning rate, at these epochs (the final faces and pipeline).
RATE_SEARCH = (RTMPoseRecipe(None, 0.05, 'stage2', 960), 60)
SEARCH_SEED = 0  # the search trains one seed per candidate
# MMPose's rate scaled linearly to the study's batch, and the candidate
# equal to it but for the rate the study kept.
LINEAR = 'linear lr, warm-up 5 %, stage2, 240 faces, 60 ep'
LINEAR_PEER = 'lr 1e-3, warm-up 5 %, stage2, 240 faces, 60 ep'
RESULTS = 'rtmpose_budget'
COMMAND = 'python -m tools.benchmarks.rtmpose_budget --rerun'


def reference_nme(stored: dict | None) -> float | None:
    """The budget criterion's reference: MobileNetV2's randomized rounding
    row at 128 input trained to its configs' schedule (``stored``: the
    ``resolution`` study's result)."""
    from . import resolution

    found = resolution.summarise(stored['runs']) if stored else []
    key = resolution.ROWS[0].keys()[0]
    return next((s['final_mean'] for s in found if rows.summary_key_of(s) == key), None)


def reference_last_fifth(stored: dict | None) -> list[float]:
    """How much the reference row's runs (in ``stored``, the ``resolution``
    study's result) still change over their last fifth of epochs, per seed
    (the flatness criterion's yardstick)."""
    from . import resolution

    key = resolution.ROWS[0].keys()[0]
    runs = sorted(
        (r for r in (stored or {}).get('runs', []) if rows.summary_key(r) == key),
        key=lambda r: r['seed'],
    )
    return [rows.last_fifth_change(r['nme']) for r in runs]


def candidate_of(recipe: RTMPoseRecipe, epochs: int) -> str | None:
    """The candidate that trains ``recipe`` for ``epochs``, if searched."""
    return next((n for n, c in CANDIDATES.items() if c == (recipe, epochs)), None)


def candidate_iterations(name: str) -> int:
    """The training iterations of candidate ``name``."""
    recipe, epochs = CANDIDATES[name]
    return rows.iterations(epochs, recipe.num_train or rows.NUM_TRAIN)


def rate_name(lr: float) -> str:
    """A learning rate as the candidates name it: ``1e-3``, ``2.5e-4``."""
    mantissa, exponent = f'{lr:e}'.split('e')
    return f'{float(mantissa):g}e{int(exponent)}'


def rate_search_iterations() -> int:
    """The training iterations of every candidate of the rate search."""
    recipe, epochs = RATE_SEARCH
    return rows.iterations(epochs, recipe.num_train)


def search_runs(budget: dict | None) -> dict[str, dict]:
    """The search's stored run of each candidate: the one at its seed
    (``SEARCH_SEED``). Runs at other seeds, or of candidates no longer
    searched, stay stored but are not the search's."""
    return {
        r['candidate']: r
        for r in (budget or {}).get('runs', [])
        if r['seed'] == SEARCH_SEED and r['candidate'] in CANDIDATES
    }


def final_nme(budget: dict | None, name: str | None) -> float | None:
    """Candidate ``name``'s final NME at the search's seed, if stored."""
    run = search_runs(budget).get(name)
    return None if run is None else run['nme'][-1]


def rate_finals(budget: dict | None) -> dict[float, float]:
    """The final NME of each stored candidate of the rate search
    (``RATE_SEARCH``: the candidates that differ in their learning rate
    only) at the search's seed, by learning rate."""
    base, at = RATE_SEARCH
    finals = {
        recipe.lr: final_nme(budget, name)
        for name, (recipe, epochs) in CANDIDATES.items()
        if epochs == at and dataclasses.replace(recipe, lr=None) == base
    }
    return {lr: nme for lr, nme in finals.items() if nme is not None}


def linear_rate_finals(budget: dict | None) -> tuple[float, float] | None:
    """The final NMEs of the linearly scaled rate and of its peer
    (``LINEAR``, ``LINEAR_PEER``); None until both are stored."""
    linear, peer = final_nme(budget, LINEAR), final_nme(budget, LINEAR_PEER)
    return None if linear is None or peer is None else (linear, peer)


def linear_rate_comparison(budget: dict | None) -> str | None:
    """How the linearly scaled rate ended against its peer (``LINEAR``
    against ``LINEAR_PEER``), e.g. ``'at 900 iterations, 1.25e-4 ended at
    5.30 % against 3.27 % at 1e-3'``; None until both are stored."""
    finals = linear_rate_finals(budget)
    if finals is None:
        return None
    linear, peer = finals
    return (
        f'at {candidate_iterations(LINEAR)} iterations, {rate_name(LINEAR_LR)} ended at '
        f'{linear:.2f} % against {peer:.2f} % at {rate_name(CANDIDATES[LINEAR_PEER][0].lr)}'
    )


def rate_comparison(budget: dict | None, kept: float) -> str:
    """The rate search's final NMEs, lowest rate first, and where the
    ``kept`` rate stands among them, e.g. ``'1e-3: 1.57 %, 2e-3: 1.55 %
    (seed 0): 1e-3 ends 0.02 points above the best, 2e-3'``."""
    finals = rate_finals(budget)
    if not finals:
        return 'not run yet'
    listed = ', '.join(f'{rate_name(lr)}: {nme:.2f} %' for lr, nme in sorted(finals.items()))
    best = min(finals, key=finals.get)
    if kept not in finals:
        standing = f'{rate_name(kept)} not run'
    elif kept == best:
        standing = f'{rate_name(kept)} ends lowest'
    else:
        standing = (
            f'{rate_name(kept)} ends {finals[kept] - finals[best]:.2f} points above the best, '
            f'{rate_name(best)}'
        )
    return f'{listed} (seed {SEARCH_SEED}): {standing}'


def on_gpu(run: dict) -> bool:
    """Whether a stored run trained on a GPU machine (its provenance says)."""
    return 'no GPU' not in run['provenance']['machine']


def table(budget: dict, resolution: dict | None) -> str:
    """The budget search's runs (``rtmpose_budget``), in its order, each
    against the criteria (the reference from ``resolution``'s result)."""
    reference = reference_nme(resolution)
    lines = [
        '| candidate | iterations | ran on | final NME % | x reference | '
        'change over the last fifth |',
        '|---|---|---|---|---|---|',
    ]
    found = search_runs(budget)
    for name in CANDIDATES:
        r = found.get(name)
        iterations = candidate_iterations(name)
        if r is None:
            lines.append(f'| {name} | {iterations} | not run yet | - | - | - |')
            continue
        ratio = '-' if reference is None else f'{r["nme"][-1] / reference:.2f}'
        if reference is not None and r['nme'][-1] / reference <= GOAL_RATIO:
            ratio = f'**{ratio}**'
        change = f'{100 * r["last_fifth_change"]:.1f} %'
        if r['last_fifth_change'] < FLAT:
            change = f'**{change}**'
        where = 'GPU' if on_gpu(r) else 'CPU'
        lines.append(
            f'| {name} | {iterations} | {where} | {r["nme"][-1]:.2f} | {ratio} | {change} |'
        )
    return '\n'.join(lines)


def verdict(budget: dict, recipe: RTMPoseRecipe, epochs: int, resolution: dict | None) -> str:
    """What the search found for the RTMPose study's ``recipe`` at
    ``epochs``: whether any candidate met both criteria (the reference from
    ``resolution``'s result), and what the longer candidates gave."""
    reference = reference_nme(resolution)
    found = search_runs(budget)
    met = [
        n
        for n, r in found.items()
        if reference is not None
        and r['nme'][-1] / reference <= GOAL_RATIO
        and r['last_fifth_change'] < FLAT
    ]
    chosen = candidate_of(recipe, epochs)
    longer = [n for n, (r, e) in CANDIDATES.items() if r == recipe and e > epochs and n in found]
    text = (
        f'Candidates meeting both criteria: {", ".join(met)}.'
        if met
        else 'No candidate meets both criteria.'
    )
    if chosen in met:
        a = found[chosen]
        text += (
            f' The study recipe is {chosen}: {a["nme"][-1]:.2f} %, its curve changing '
            f'{100 * a["last_fifth_change"]:.1f} % over its last fifth.'
        )

        shorter = [
            n
            for n in found
            if CANDIDATES[n][0] == recipe and candidate_iterations(n) < candidate_iterations(chosen)
        ]
        below = max(shorter, key=candidate_iterations, default=None)
        if below is not None and below not in met:
            text += (
                f' It is the shortest run of its recipe tried that meets both; the next shorter '
                f'tried, {below} ({candidate_iterations(below)} iterations against '
                f'{candidate_iterations(chosen)}), misses, and none in between was tried.'
            )
        lower = lower_longer_run(budget, recipe, epochs)
        if lower is not None:
            text += (
                f' A longer budget still lowers the NME ({lower[0]}: {lower[1]:.2f} %): the rows '
                'are converged at their schedule, as the heatmap rows are at theirs, not at the '
                'lowest NME RTMPose-t can reach.'
            )
    elif chosen in found and longer:
        a, b = found[chosen], found[longer[-1]]
        yardstick = ', '.join(f'{100 * c:.0f} %' for c in reference_last_fifth(resolution))
        text += (
            f' The study recipe ({chosen}) reaches {a["nme"][-1]:.2f} %; the same recipe '
            f'twice as long ({longer[-1]}) {b["nme"][-1]:.2f} %, its curve still changing '
            f'{100 * b["last_fifth_change"]:.0f} % over its last fifth (the reference row: '
            f'{yardstick or "-"}). RTMPose-t '
            'from scratch keeps learning where the heatmap model has flattened, so the rows '
            'compare the codecs at one equal budget, not at convergence.'
        )
    return text


def lower_longer_run(
    budget: dict | None, recipe: RTMPoseRecipe, epochs: int
) -> tuple[str, float, float] | None:
    """The stored candidate with more iterations than the one of ``recipe``
    at ``epochs`` that ends lowest, where it ends below that one: its name,
    its final NME and that one's (None otherwise, or until both are
    stored)."""
    found = search_runs(budget)
    chosen = candidate_of(recipe, epochs)
    if chosen not in found:
        return None
    longer = [n for n in found if candidate_iterations(n) > candidate_iterations(chosen)]
    best = min(longer, key=lambda n: found[n]['nme'][-1], default=None)
    if best is None or found[best]['nme'][-1] >= found[chosen]['nme'][-1]:
        return None
    return best, found[best]['nme'][-1], found[chosen]['nme'][-1]


def ran_on(budget: dict) -> str:
    """Where the stored candidates ran, where not all on the CPU."""
    found = list(search_runs(budget).values())
    gpu = sum(map(on_gpu, found))
    if not gpu:
        return ''
    rest = gpu < len(found)
    return (
        f'"Ran on": {gpu} of the {len(found)} candidates ran on a GPU machine, for '
        f'speed, on the Python and torch their provenance names'
        + ('; the others on the CPU. ' if rest else '. ')
    )


def section(result: dict, results: dict) -> str:
    """The RTMPose section's subsection on how its recipe was chosen: the
    search's runs (``result``) against the criteria, and the verdict on the
    recipe and epochs the RTMPose study trains with."""
    from .rtmpose import EPOCHS, RECIPE  # the study that renders this subsection

    budget, resolution = result, results.get('resolution')
    reference = reference_nme(resolution)
    return '\n'.join(
        [
            '### How the recipe was chosen',
            '',
            study.provenance_lines(
                [r['provenance'] for r in search_runs(budget).values()], COMMAND, 'trained model'
            ),
            '',
            f'Stock RTMPose-t (s = {rows.SIMCC_OBJECTIVES[OBJECTIVE][1]:g}, {INPUT} input), '
            f'seed {SEARCH_SEED}, one candidate per row; criteria fixed before the search: a '
            'final NME at most '
            f"{GOAL_RATIO:g} times that of MobileNetV2's RR row at {INPUT} trained to its "
            "configs' schedule (`resolution`), and an NME curve that changes by less than "
            f'{100 * FLAT:g} % over the last fifth of its epochs. {ran_on(budget)}Bold: a '
            f'criterion met. Reference: {reference or float("nan"):.2f} % NME.',
            '',
            table(budget, resolution),
            '',
            verdict(budget, RECIPE, EPOCHS, resolution),
        ]
    )


def run(names: list[str], seeds: tuple[int, ...], rerun: bool = False) -> dict:
    """Train the candidates ``names`` at ``seeds`` that the stored search
    lacks (all with ``rerun``), saving after every run."""
    import torch

    from rr_mmpose.datasets import generated_faces

    torch.set_num_threads(2)
    data_root = generated_faces(study.DATA)
    stored = (study.load(RESULTS) or {}).get('runs', [])
    runs = {(r['candidate'], r['seed']): r for r in stored}
    for name in names:
        recipe, epochs = CANDIDATES[name]
        for seed in seeds:
            if (name, seed) in runs and not rerun:
                continue
            work_dir = study.WORK / RESULTS / f'{name.replace(" ", "_")}-seed{seed}'
            row = Row('rtmpose-t', OBJECTIVE, INPUT, (seed,), epochs, recipe=recipe)
            (r,) = rows.run_row(row, seed, data_root, work_dir, own_command(name, seed))
            r.update(candidate=name, last_fifth_change=rows.last_fifth_change(r['nme']))
            runs[name, seed] = r
            print(json.dumps(dict(r, nme=r['nme'][-1])), flush=True)
            study.save(RESULTS, dict(runs=list(runs.values())), tag=False)
    return study.load(RESULTS)


def own_command(name: str, seed: int) -> str:
    """The one command that trains candidate ``name`` at ``seed`` again."""
    return rows.rerun_one(RESULTS, '--candidates', name, seed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--candidates', nargs='+', choices=list(CANDIDATES))
    parser.add_argument('--seeds', type=int, nargs='+', default=[SEARCH_SEED])
    parser.add_argument('--rerun', action='store_true', help='train again the runs already stored')
    args = parser.parse_args()
    run(args.candidates or list(CANDIDATES), tuple(args.seeds), args.rerun)


if __name__ == '__main__':
    main()
