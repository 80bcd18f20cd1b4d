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
RESULTS = 'rtmpose_budget'


def run(names: list[str], seeds: tuple[int, ...], rerun: bool = False) -> list[dict]:
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
            (r,) = rows.run_row(row, seed, data_root, work_dir)
            r.update(candidate=name, last_fifth_change=rows.last_fifth_change(r['nme']))
            runs[name, seed] = r
            print(json.dumps(dict(r, nme=r['nme'][-1])), flush=True)
            study.save(RESULTS, dict(runs=list(runs.values())), tag=False)
    return list(runs.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--candidates', nargs='+', choices=list(CANDIDATES))
    parser.add_argument('--seeds', type=int, nargs='+', default=[0])
    parser.add_argument('--rerun', action='store_true', help='train again the runs already stored')
    args = parser.parse_args()
    run(args.candidates or list(CANDIDATES), tuple(args.seeds), args.rerun)


if __name__ == '__main__':
    main()
