"""RTMPose's flip test at each split ratio: the RTMPose study's trained rows
tested with it, as trained and stored, and without it.

    python -m tools.benchmarks.flip_test [--rows NAME ...] [--seeds 0 1]

MMPose's ``RTMCCHead`` averages each SimCC vector with the mirrored image's,
reversed by ``flip_vectors``. On the ideal prediction (the quantization
section) that average is exact for ``SimCCLabel`` at split ratios of 1 and
more, and off by about a pixel at 0.5, while ``RandomizedRoundingSimCC``'s
is exact at every ratio. Here each stored run's checkpoint is tested on the
generated test faces by MMPose's own ``test_step`` and ``NME`` metric, flip
test on and off; "on" reproduces the run's stored final NME. A run whose
checkpoint is missing is trained again first, under the RTMPose study's own
command (``rows.trained_model``). Each run is stored as it is measured.
"""

from __future__ import annotations

import argparse
import shlex

import numpy as np

from . import rows, rtmpose, study

TITLE = "RTMPose's flip test at each split ratio"  # of its section

NAMES = (
    'rtmpose-t 128 SimCCLabel s=0.5',
    'rtmpose-t 128 RR s=0.5',
    'rtmpose-t 128 SimCCLabel s=2',
    'rtmpose-t 128 RR s=2',
)
SEEDS = (0, 1)


def test_nme(model, cfg, flip_test: bool) -> float:
    """NME (%) of ``model`` on ``cfg``'s test faces, by MMPose's test step
    and its ``NME`` metric, with the head's flip test on or off."""
    import torch
    from mmengine.dataset import pseudo_collate
    from mmengine.evaluator import Evaluator
    from mmpose.registry import DATASETS

    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    (nme_cfg,) = [m for m in cfg.test_evaluator if m['type'] == 'NME']
    evaluator = Evaluator(nme_cfg)
    evaluator.dataset_meta = dataset.metainfo
    before = dict(model.test_cfg)
    model.test_cfg['flip_test'] = flip_test
    try:
        with torch.no_grad():
            for start in range(0, len(dataset), cfg.test_dataloader.batch_size):
                end = min(start + cfg.test_dataloader.batch_size, len(dataset))
                batch = pseudo_collate([dataset[i] for i in range(start, end)])
                evaluator.process(data_samples=model.test_step(batch), data_batch=batch)
    finally:
        model.test_cfg.clear()
        model.test_cfg.update(before)
    return 100 * float(evaluator.evaluate(len(dataset))['NME'])


def measure_one(name: str, seed: int) -> dict:
    trained = rtmpose.named(name)
    model, cfg, weights = rows.trained_model(trained.study, trained.row, seed)
    model.eval()
    (stored,) = [
        r
        for r in study.load(trained.study)['runs']
        if rows.run_key(r) == (*trained.row.keys()[0], seed)
    ]
    return dict(
        row=trained.row.objective,
        input=trained.row.input,
        seed=seed,
        weights=weights,
        stored_nme=stored['nme'][-1],
        flip_nme=test_nme(model, cfg, True),
        plain_nme=test_nme(model, cfg, False),
    )


def own_command(name: str, seed: int) -> str:
    """The command that measures row ``name`` at ``seed`` again."""
    return shlex.join(
        ['python', '-m', 'tools.benchmarks.flip_test', '--rows', name, '--seeds', str(seed)]
    )


def run(names=NAMES, seeds=SEEDS) -> dict:
    """Measure each row at each seed, storing the file after each; a stored
    (row, input, seed) is measured again, replacing it."""
    for name in names:
        rtmpose.named(name)  # a KeyError naming the rows, before anything runs
    for name in names:
        for seed in seeds:
            entry = measure_one(name, seed)
            stored = (study.load('flip_test') or {}).get('runs', [])
            key = (entry['row'], entry['input'], entry['seed'])
            kept = [r for r in stored if (r['row'], r['input'], r['seed']) != key]
            entry['provenance'] = study.provenance(own_command(name, seed))
            study.save('flip_test', dict(runs=[*kept, entry]), tag=False)
    return study.load('flip_test')


def means(runs: list[dict]) -> dict[tuple[str, int], dict]:
    """Per (row, input): mean NME with (``flip``) and without (``plain``)
    flip test, their mean paired difference and the number of seeds."""
    groups: dict[tuple[str, int], list[dict]] = {}
    for r in sorted(runs, key=lambda r: (r['input'], r['row'], r['seed'])):
        groups.setdefault((r['row'], r['input']), []).append(r)
    out = {}
    for key, entries in groups.items():
        flip = np.array([e['flip_nme'] for e in entries])
        plain = np.array([e['plain_nme'] for e in entries])
        out[key] = dict(
            flip=flip.mean(),
            plain=plain.mean(),
            difference=(flip - plain).mean(),
            seeds=len(entries),
            seed_list=[e['seed'] for e in entries],
        )
    return out


def table(runs: list[dict]) -> str:
    lines = [
        '| row | input | seeds | NME %, flip test (as stored) | NME %, no flip test | '
        'flip test minus none |',
        '|---|---|---|---|---|---|',
    ]
    for (row, size), m in means(runs).items():
        lines.append(
            f'| {row} | {size} | {", ".join(map(str, m["seed_list"]))} | {m["flip"]:.3f} | '
            f'{m["plain"]:.3f} | {m["difference"]:+.3f} |'
        )
    return '\n'.join(lines)


def reproduction(runs: list[dict]) -> str:
    """Whether the flip-test NME reproduced each run's stored final NME:
    the check that this is the study's own test."""
    gap = max(abs(r['flip_nme'] - r['stored_nme']) for r in runs)
    verdict = 'reproduces' if gap < 1e-6 else 'does not reproduce'
    return (
        f"With flip test, this test {verdict} each run's stored final NME (largest gap "
        f'{gap:.1e} points).'
    )


def section(result: dict, results: dict) -> str:
    runs = sorted(result['runs'], key=lambda r: (r['input'], r['row'], r['seed']))
    return '\n'.join(
        [
            f'## {TITLE}',
            '',
            study.provenance_lines(
                [r['provenance'] for r in runs], 'python -m tools.benchmarks.flip_test', 'test'
            ),
            '',
            "MMPose's `RTMCCHead` flip test averages each SimCC vector with the mirrored "
            "image's, reversed. On the ideal prediction ([quantization](#quantization)) that "
            'average is exact for `SimCCLabel` at split ratios of 1 and more but off by about '
            'a pixel at 0.5, and exact for `RandomizedRoundingSimCC` at every ratio. Each '
            "stored RTMPose run's weights, tested on the generated test faces by MMPose's "
            '`test_step` and `NME` metric (means of the seeds):',
            '',
            table(runs),
            '',
            reproduction(runs),
            *rows.retrained_paragraph(
                [dict(e, study='rtmpose', arch='rtmpose-t') for e in runs],
                results,
                'python -m tools.benchmarks.flip_test',
            ),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rows', nargs='+', default=list(NAMES), choices=list(NAMES))
    parser.add_argument('--seeds', nargs='+', type=int, default=list(SEEDS))
    args = parser.parse_args()
    run(args.rows, tuple(args.seeds))


if __name__ == '__main__':
    main()
