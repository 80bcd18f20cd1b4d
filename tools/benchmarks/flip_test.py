"""RTMPose's flip test at each split ratio: the RTMPose study's trained rows
tested with it, as trained and stored, and without it.

    python -m tools.benchmarks.flip_test [--rows NAME ...] [--seeds 0 1]

MMPose's ``RTMCCHead`` averages each SimCC vector with the mirrored image's,
reversed by ``flip_vectors``. On the ideal prediction (the quantization
section, which gives the offsets) that average is exact for ``SimCCLabel``
at split ratios of 1 and more but not at 0.5, while
``RandomizedRoundingSimCC``'s is exact at every ratio. Here each stored
run's checkpoint is tested on the
generated test faces by MMPose's own ``test_step`` and ``NME`` metric, flip
test on and off; "on" reproduces the run's stored final NME. A run whose
checkpoint is missing is trained again first, under the RTMPose study's own
command (``rows.trained_model``). Each run is stored as it is measured.
"""

from __future__ import annotations

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
    """NME (%) of ``model`` on ``cfg``'s test faces (``rows.test_nme``) with
    the head's flip test on or off; its test config is put back after."""
    before = dict(model.test_cfg)
    model.test_cfg['flip_test'] = flip_test
    try:
        return rows.test_nme(model, cfg)
    finally:
        model.test_cfg.clear()
        model.test_cfg.update(before)


def measure_one(name: str, seed: int) -> dict:
    model, cfg, entry = rows.stored_weights(rtmpose.named(name), seed)
    flip = test_nme(model, cfg, True)
    rows.check_reproduced(f'{name} at seed {seed}: flip test on', flip, entry['stored_nme'])
    return dict(entry, flip_nme=flip, plain_nme=test_nme(model, cfg, False))


COMMAND = 'python -m tools.benchmarks.flip_test'


def run(names=NAMES, seeds=SEEDS) -> dict:
    """Measure each row at each seed, storing the file after each; a stored
    (backbone, row, input, seed) is measured again, replacing it."""
    for name in names:
        rtmpose.named(name)  # a KeyError naming the rows, before anything runs
    return rows.measure_trained('flip_test', names, seeds, measure_one)


def means(runs: list[dict]) -> dict[tuple[str, int], dict]:
    """Per (row, input): mean NME with (``flip``) and without (``plain``)
    flip test, their mean paired difference and the seeds."""
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
            seeds=[e['seed'] for e in entries],
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
            f'| {row} | {size} | {", ".join(map(str, m["seeds"]))} | {m["flip"]:.3f} | '
            f'{m["plain"]:.3f} | {m["difference"]:+.3f} |'
        )
    return '\n'.join(lines)


def reproduction(runs: list[dict]) -> str:
    """Whether the flip-test NME reproduced each run's stored final NME:
    the check that this is the study's own test."""
    gaps = [abs(r['flip_nme'] - r['stored_nme']) for r in runs]
    return rows.reproduction('With flip test, this test', gaps)


def paired_gap(runs: list[dict], ours: str, theirs: str, size: int, key: str) -> float | None:
    """Mean of ``ours`` minus ``theirs`` in ``key`` (an NME) over the seeds
    both rows have at ``size`` input (None: no seed in common)."""
    by = {(r['row'], r['input'], r['seed']): r[key] for r in runs}
    seeds = sorted(
        {
            r['seed']
            for r in runs
            if (ours, size, r['seed']) in by and (theirs, size, r['seed']) in by
        }
    )
    if not seeds:
        return None
    return float(np.mean([by[ours, size, s] - by[theirs, size, s] for s in seeds]))


# The quantization study's rows of each codec's ideal prediction, flip-tested
IDEAL = {'SimCCLabel': 'SimCCLabel, flip test', 'RR': 'RR-SimCC expected, flip test'}


def ideal_offset(results: dict, codec: str, split: float) -> float | None:
    """The mean x offset (input px) of ``codec``'s (a key of :data:`IDEAL`)
    flip-tested ideal prediction at SimCC split ratio ``split``, from the
    quantization study (whose split ratio is 8 / stride), or None."""
    for r in (results.get('quantization') or {}).get('rows', []):
        if r['codec'] == IDEAL[codec] and 8 / r['stride'] == split:
            return r['bias_x']
    return None


def ideal_offsets(results: dict) -> str:
    """What the flip test does to each codec's ideal prediction, in words."""
    splits = (2.0, 1.0, 0.5)
    stock = [(s, ideal_offset(results, 'SimCCLabel', s)) for s in splits]
    ours = [ideal_offset(results, 'RR', s) for s in splits]
    if any(v is None for _, v in stock) or any(v is None for v in ours):
        return ''
    said = ', '.join(f'{v:+.2f} px at s = {s:g}' for s, v in stock)
    return (
        ' On the ideal prediction ([quantization](#quantization)), its mean x offset is, for '
        f'`SimCCLabel`, {said}; for `RandomizedRoundingSimCC`, at most '
        f'{max(abs(v) for v in ours):.3f} px at these ratios.'
    )


def section(result: dict, results: dict) -> str:
    runs = sorted(result['runs'], key=lambda r: (r['input'], r['row'], r['seed']))
    return '\n'.join(
        [
            f'## {TITLE}',
            '',
            study.provenance_lines([r['provenance'] for r in runs], COMMAND, 'test'),
            '',
            "MMPose's `RTMCCHead` flip test averages each SimCC vector with the mirrored "
            f"image's, reversed.{ideal_offsets(results)} Each stored RTMPose run's weights, "
            "tested on the generated test faces by MMPose's `test_step` and `NME` metric "
            '(means of the seeds):',
            '',
            table(runs),
            '',
            reproduction(runs),
            *rows.retrained_paragraph(
                runs,
                results,
                COMMAND,
            ),
        ]
    )


def main() -> None:
    rows.measuring_main(__doc__, NAMES, SEEDS, run)


if __name__ == '__main__':
    main()
