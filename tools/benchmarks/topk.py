"""Decoding's top-k on trained models: the resolution study's converged
randomized-rounding rows, their stored weights decoded with k cells.

    python -m tools.benchmarks.topk [--rows NAME ...] [--seeds 1 2]

``RandomizedRoundingHeatmap`` weighs the ``topk`` highest cells of each map
by the softmax of their scores. On the loss optimum the mass of a keypoint
lies on at most 4 cells (the bilinear support of its position), so any
k >= 4 decodes it exactly and k = 1 (the argmax) quantizes it; on trained
maps a larger k also weighs the cells of the tails. Here each stored run's
checkpoint is tested on the generated test faces by MMPose's own
``test_step`` and ``NME`` metric, flip test on as configured, with the
codec rebuilt from the run's config at each k (the backbone runs once per
batch, ``rows.test_nmes``). The shipped k reproduces the run's stored
final NME. (H3R's literal decoder, the raw keypoint logits,
``decode_scores='logits'``, decodes these rows as the log-probabilities
do: their loss's log-probabilities are the logits less one constant per
map, which the softmax of the top k cancels.) A run
whose checkpoint is missing is trained again first, under the resolution
study's own command (``rows.trained_model``). Each run is stored as it is
measured.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator

import numpy as np

from . import resolution, rows, study

TITLE = "Decoding's top-k on trained models"  # of its section

NAMES = (
    'mobilenetv2 64 two-class spatial',
    'mobilenetv2 128 two-class spatial',
    'mobilenetv2 256 two-class spatial',
)
# Seeds 1 and 2: those whose 256-input checkpoints this study was first
# measured beside (each 256 run trains for about half an hour on 2 cores)
SEEDS = (1, 2)
SHIPPED = 9  # the configs' k
ALL = 0  # k = every cell of the map: the mean position under the model's distribution
TOPK = (1, 4, SHIPPED, 25, ALL)  # in the table's order


@contextlib.contextmanager
def decoding(model, cfg, topk: int) -> Iterator[None]:
    """``model``'s head decodes with its codec rebuilt from ``cfg`` at
    ``topk`` cells (:data:`ALL`: every cell); its own is put back after."""
    from mmpose.registry import KEYPOINT_CODECS

    head = model.head
    before = head.decoder
    width, height = cfg.model.head.decoder['heatmap_size']
    k = width * height if topk == ALL else topk
    head.decoder = KEYPOINT_CODECS.build(dict(cfg.model.head.decoder, topk=k))
    try:
        yield
    finally:
        head.decoder = before


def nme_at(run: dict, topk: int) -> float:
    return next(d['nme'] for d in run['decoded'] if d['topk'] == topk)


def measure_one(name: str, seed: int) -> dict:
    model, cfg, entry = rows.stored_weights(resolution.named(name), seed)
    # one backbone pass per batch, decoded at each k; a test that does not
    # reproduce the stored NME at the shipped k is refused before it is stored
    nme = rows.test_nmes(model, cfg, {k: functools.partial(decoding, model, cfg, k) for k in TOPK})
    what = f'{name} at seed {seed}: k = {SHIPPED}'
    rows.check_reproduced(what, nme[SHIPPED], entry['stored_nme'])
    decoded = [dict(topk=topk, nme=nme[topk]) for topk in TOPK]
    width, height = cfg.model.head.decoder['heatmap_size']
    return dict(entry, cells=width * height, decoded=decoded)


COMMAND = 'python -m tools.benchmarks.topk'


def run(names=NAMES, seeds=SEEDS) -> dict:
    """Measure each row at each seed, storing the file after each; a stored
    (backbone, row, input, seed) is measured again, replacing it."""
    for name in names:
        resolution.named(name)  # a KeyError naming the rows, before anything runs
    return rows.measure_trained('topk', names, seeds, measure_one)


def label(topk: int) -> str:
    return 'every cell' if topk == ALL else f'k = {topk}'


def means(runs: list[dict]) -> dict[tuple[str, int], dict]:
    """Per (arch, input): each k's mean NME over the seeds, and its mean
    paired difference from the shipped k."""
    groups: dict[tuple[str, int], list[dict]] = {}
    for r in sorted(runs, key=lambda r: (r['arch'], r['input'], r['seed'])):
        groups.setdefault((r['arch'], r['input']), []).append(r)
    out = {}
    for key, entries in groups.items():
        nme = {k: np.array([nme_at(e, k) for e in entries]) for k in TOPK}
        out[key] = dict(
            nme={k: float(v.mean()) for k, v in nme.items()},
            minus_shipped={k: float((v - nme[SHIPPED]).mean()) for k, v in nme.items()},
            seeds=[e['seed'] for e in entries],
            cells=entries[0]['cells'],
        )
    return out


def table(runs: list[dict]) -> str:
    lines = [
        '| backbone | input | heatmap | seeds | ' + ' | '.join(map(label, TOPK)) + ' |',
        '|---|---|---|---|' + '---|' * len(TOPK),
    ]
    for (arch, size), m in means(runs).items():
        side = round(m['cells'] ** 0.5)
        cells = ' | '.join(
            f'{m["nme"][k]:.2f}' + ('' if k == SHIPPED else f' ({m["minus_shipped"][k]:+.2f})')
            for k in TOPK
        )
        seeds = ', '.join(map(str, m['seeds']))
        lines.append(f'| {arch} | {size} | {side}x{side} | {seeds} | {cells} |')
    return '\n'.join(lines)


def reproduction(runs: list[dict]) -> str:
    """Whether the shipped k reproduced each run's stored final NME: the
    check that this is the study's own test."""
    gaps = [abs(nme_at(r, SHIPPED) - r['stored_nme']) for r in runs]
    return rows.reproduction(f'The shipped k = {SHIPPED}', gaps)


def section(result: dict, results: dict) -> str:
    runs = sorted(result['runs'], key=lambda r: (r['arch'], r['input'], r['seed']))
    return '\n'.join(
        [
            f'## {TITLE}',
            '',
            study.provenance_lines([r['provenance'] for r in runs], COMMAND, 'test'),
            '',
            'The codec weighs the k highest cells of each map by the softmax of their scores, '
            "the loss's log-probabilities. On the loss optimum a keypoint's mass lies on at most "
            '4 cells, so k of 4 or more decodes it exactly and k = 1 (the argmax) quantizes it to '
            'a cell ([quantization](#quantization) decodes that optimum); on trained maps a larger '
            "k also weighs the tails. Each stored randomized-rounding run's weights (the "
            "[resolution](#resolution) study's, at 60 epochs) are tested on the generated test "
            "faces by MMPose's `test_step` and `NME` metric with flip test, the codec rebuilt from "
            'the config at each k. NME %, means of the seeds, and in brackets the mean paired '
            f'difference from the shipped k = {SHIPPED}:',
            '',
            table(runs),
            '',
            reproduction(runs),
            '',
            "H3R's literal decoder, the raw keypoint logits (`decode_scores='logits'`), decodes "
            "these rows as the log-probabilities do: their loss's log-probabilities are the "
            'logits less one constant per map, which the softmax over the top k cancels.',
            *rows.retrained_paragraph(runs, results, COMMAND),
        ]
    )


def main() -> None:
    rows.measuring_main(__doc__, NAMES, SEEDS, run)


if __name__ == '__main__':
    main()
