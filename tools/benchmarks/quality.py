"""Landmark quality a user can act on, on generated faces with hard cases
(occluders, blur, low light): accuracy on visible and occluded points,
failure rate, AUC, and how well each model's keypoint scores say when a
point is wrong or hidden.

    python -m tools.benchmarks.quality [--rows NAME ...] [--seeds 0 1] [--rerun]

Each row trains its own seeds (``ROWS``) unless ``--seeds`` names others.
The heatmap rows train as the resolution study's models do (their configs'
schedule), the RTMPose rows as the RTMPose study's (``tools.benchmarks.rtmpose``),
each trained on the hard-case faces and
tested on their hard-case test split with ``FaceLandmarkMetric``. Scores
are each codec's own: randomized rounding's probability mass of the decoded
cells, MSRA's and DARK's heatmap maximum, stock SimCC's logit maximum, the
last two clipped to [0, 1] so that the metric reports their ECE. Every
row's scores are also calibrated on a separate generated set
(``calibrated_figures``): randomized rounding's by its codec's log-odds
temperature and bias (``rr_mmpose.evaluation.calibrate``), a peer's by
Platt scaling of its unclipped score, so that ECE compares like with like.
"""

from __future__ import annotations

import copy
import json
import shlex
import sys
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

import numpy as np
from mmpose.registry import KEYPOINT_CODECS, METRICS

from rr_mmpose.evaluation.video_metrics import OUTER_EYE_CORNERS

from . import resolution, rows, rtmpose, study
from .rows import Row

TITLE = 'Landmark quality on hard cases'  # of its section

DATA = Path('data/generated_faces_hard')
CALIBRATION = Path('data/generated_faces_hard_calibration')  # another seed: unseen faces
# The heatmap rows train for their configs' 60 epochs, scaled as the
# convergence study scales them (60 CPU epochs of 240 faces): at 20 the
# models are far from converged on the hard cases, and the failed-keypoint
# AUROCs rank the rows differently. The RTMPose rows train with the RTMPose
# study's recipe, under which stock RTMPose-t converges from scratch
# (``tools.benchmarks.rtmpose``); under MMPose's recipe scaled to 20 CPU
# epochs they fail on nearly every face, and their scores say nothing.
HEATMAP_SEEDS = (0, 1, 2)
# hard-case faces: the test split, and the other ones the score calibration is fitted on
TEST_FACES, CALIBRATION_FACES = 300, 150
CALIBRATED = ', calibrated'  # a row's scores read through the fitted calibration


def calibrated(run: dict) -> bool:
    """Whether ``run`` re-scores another run's predictions (same weights)."""
    return run['row'].endswith(CALIBRATED)


ROWS = [
    Row('mobilenetv2', 'two-class spatial', 128, HEATMAP_SEEDS, resolution.EPOCHS),
    Row('mobilenetv2', 'MSRA', 128, HEATMAP_SEEDS, resolution.EPOCHS),
    rtmpose.row('SimCCLabel s=2', 128),
    rtmpose.row('RR s=2', 128),
]
METRIC = dict(
    type='FaceLandmarkMetric',
    norm_mode='keypoint_distance',
    keypoint_indices=list(OUTER_EYE_CORNERS),
)
GOAL_ECE = 0.05


def hard_faces() -> tuple[Path, Path]:
    from rr_mmpose.datasets import generated_faces

    return (
        generated_faces(DATA, num_test=TEST_FACES, hard_cases=True),
        generated_faces(
            CALIBRATION, num_train=0, num_test=CALIBRATION_FACES, seed=1, hard_cases=True
        ),
    )


def face_metric(loader):
    """The study's ``FaceLandmarkMetric``, told the loader's dataset."""
    metric = METRICS.build(METRIC)
    metric.dataset_meta = loader.dataset.metainfo
    return metric


def fit_platt(scores: np.ndarray, correct: np.ndarray) -> tuple[float, float]:
    """Platt scaling of a score that is not a probability: the ``(a, b)``
    minimising the binary cross-entropy of ``sigmoid(a * scores + b)``
    against ``correct`` (both (M,)). A ``ValueError`` where ``correct`` is
    all true or all false (nothing to fit)."""
    from scipy.optimize import minimize

    scores, correct = np.asarray(scores, np.float64), np.asarray(correct, bool)
    if correct.all() or not correct.any():
        raise ValueError(f'cannot fit Platt scaling: all {correct.size} keypoints agree')
    sign = np.where(correct, 1.0, -1.0)

    def nll(params: np.ndarray) -> float:  # -log sigmoid(sign * z), stably
        return float(np.mean(np.logaddexp(0.0, -sign * (params[0] * scores + params[1]))))

    fitted = minimize(nll, x0=np.array([1.0, 0.0]), method='Nelder-Mead')
    return float(fitted.x[0]), float(fitted.x[1])


def as_probabilities(samples: list[dict], platt: tuple[float, float] | None = None) -> None:
    """A peer's scores (a heatmap or logit maximum, not a probability), in
    place: clipped to [0, 1], so that the metric reports their ECE; or, with
    ``platt`` ``(a, b)``, mapped to ``sigmoid(a * score + b)`` from the
    unclipped score, which keeps every score's rank."""
    from scipy.special import expit

    for sample in samples:
        instances = sample['pred_instances']
        scores = np.asarray(instances['keypoint_scores'], np.float64)
        if platt is None:
            instances['keypoint_scores'] = np.clip(scores, 0, 1)
        else:
            instances['keypoint_scores'] = expit(platt[0] * scores + platt[1])


def figures(
    predictions, loader, randomized: bool, platt: tuple[float, float] | None = None
) -> dict:
    """FaceLandmarkMetric's figures, plus NME (%) over visible and over
    occluded keypoints, of ``predictions`` (``CachedPredictions`` on
    ``loader``), decoded by the model's current decoder; a peer's scores
    clipped, or read through ``platt`` where given (``as_probabilities``)."""
    metric = face_metric(loader)
    samples = predictions.data_samples()
    if not randomized:
        as_probabilities(samples, platt)
    metric.process([], samples)
    out = metric.compute_metrics(metric.results)
    errors, mask = metric.keypoint_errors(metric.results)
    occluded = np.concatenate([r['occluded'] for r in metric.results]) & mask
    out['NME/visible points'] = 100 * float(errors[mask & ~occluded].mean())
    out['NME/occluded points'] = 100 * float(errors[occluded].mean())
    return out


def calibrated_figures(model, predictions, loader, cal_loader, randomized: bool) -> dict | None:
    """``figures`` with the scores of the model's current decoder
    calibrated, fitted per row and seed on ``cal_loader``'s faces (not the
    test ones) against the metric's "error below its threshold": a
    randomized rounding decoder's own calibration of its probability's
    log-odds (``calibrate``), which it applies as a user's would; a peer's
    Platt scaling of its raw score (``fit_platt``). None, said on stderr,
    where the calibration faces leave nothing to fit (every keypoint right,
    or every one wrong)."""
    from rr_mmpose.evaluation import calibrate, predicted_samples

    samples = predicted_samples(model, cal_loader)
    metric = face_metric(cal_loader)
    try:
        if randomized:
            fitted = calibrate(samples, metric)
            fit = dict(temperature=fitted['temperature'], bias=fitted['bias'])
        else:
            metric.process([], samples)
            errors, mask = metric.keypoint_errors(metric.results)
            raw = np.concatenate([r['scores'] for r in metric.results])[mask]
            slope, intercept = fit_platt(raw, errors[mask] < metric.calibration_threshold)
            fit = dict(platt_slope=slope, platt_intercept=intercept)
    except ValueError as error:
        print(f'no calibrated row: {error}', file=sys.stderr, flush=True)
        return None
    if not randomized:
        return dict(fit, **figures(predictions, loader, False, (slope, intercept)))
    decoder = model.head.decoder
    before = (decoder.score_temperature, decoder.score_bias)
    decoder.set_score_calibration(fit['temperature'], fit['bias'])
    try:
        return dict(fit, **figures(predictions, loader, True))
    finally:
        decoder.set_score_calibration(*before)


@contextmanager
def evaluated_weights(runner):
    """The weights MMEngine validates: the EMA ones where an EMAHook keeps
    them (RTMPose), as during its validation epochs."""
    from mmengine.hooks import EMAHook

    ema = [h for h in runner.hooks if isinstance(h, EMAHook)]
    for hook in ema:
        hook.before_val_epoch(runner)
    try:
        yield runner.model
    finally:
        for hook in ema:
            hook.after_val_epoch(runner)


def run_row(row: Row, seed: int) -> list[dict]:
    from mmengine.runner import Runner

    from rr_mmpose.evaluation import CachedPredictions
    from rr_mmpose.testing import on_generated_faces

    data, calibration_faces = hard_faces()
    work_dir = row.work_dir('quality', seed)
    cfg = rows.row_config(row, seed, data, work_dir)
    on_generated_faces(
        cfg,
        data,
        batch_size=rows.BATCH,
        num_workers=1,
        num_train=row.num_train,
        work_dir=work_dir,
        dataset_type='FlaggedFace300WDataset',
    )
    cfg.val_dataloader.dataset.pop('indices', None)  # all the hard-case test faces
    cfg.train_cfg.val_interval = row.epochs  # validated at the end only
    runner = Runner.from_cfg(cfg)
    runner.train()
    loader = runner.val_dataloader
    randomized = cfg.codec['type'].startswith('RandomizedRounding')
    common = dict(
        arch=row.arch, input=row.input, seed=seed, epochs=row.epochs, num_train=row.num_train
    )
    if row.arch == 'rtmpose-t':  # part of the run's key (rows.summary_key)
        common['recipe'] = asdict(row.recipe)
    common['provenance'] = study.provenance(rows.own_command('quality', row, seed))
    cal_cfg = copy.deepcopy(cfg)  # a shallow copy would rewire the test loader
    on_generated_faces(
        cal_cfg, calibration_faces, batch_size=rows.BATCH, dataset_type='FlaggedFace300WDataset'
    )
    cal_loader = Runner.build_dataloader(cal_cfg.val_dataloader)
    out = []
    with evaluated_weights(runner) as model:
        predictions = CachedPredictions(model, loader)  # one pass, decoded as often as needed
        plain = model.head.decoder
        decoders = {row.objective: plain}
        decoders.update({n: KEYPOINT_CODECS.build(rows.redecoder(row, n)) for n in row.redecoded})
        try:
            for name, decoder in decoders.items():  # DARK: the same weights, another decoder
                model.head.decoder = decoder
                out.append(dict(common, row=name, **figures(predictions, loader, randomized)))
                rescored = calibrated_figures(model, predictions, loader, cal_loader, randomized)
                if rescored is not None:
                    out.append(dict(common, row=name + CALIBRATED, **rescored))
        finally:
            model.head.decoder = plain
    return out


COLUMNS = (
    ('NME', 'NME', '{:.2f}'),
    ('NME visible', 'NME/visible points', '{:.2f}'),
    ('NME occluded', 'NME/occluded points', '{:.2f}'),
    ('p99', 'p99', '{:.2f}'),
    ('FR@0.1 %', 'FR@0.1', '{:.2f}'),
    ('AUC@0.1', 'AUC@0.1', '{:.3f}'),
    ('ECE', 'ECE', '{:.3f}'),
    ('AUROC occluded', 'AUROC/occluded', '{:.3f}'),
    ('AUROC failed', 'AUROC/failed', '{:.3f}'),
)


def summarise(runs: list[dict]) -> list[dict]:
    """One entry per row (its seeds' means), in the order of :data:`ROWS`,
    each decoded row followed by its calibrated twin."""
    out = []

    # A run's full key (faces, stride and an RTMPose run's recipe included):
    # runs of another recipe or budget never average into one row.
    for group in dict.fromkeys(map(rows.summary_key, runs)):
        cell = [r for r in runs if rows.summary_key(r) == group]
        arch, size, _, row, epochs, *_ = group
        entry = dict(arch=arch, input=size, row=row, epochs=epochs, seeds=len(cell))
        for _, name, _ in COLUMNS:
            values = [r[name] for r in cell if name in r]
            entry[name] = float(np.mean(values)) if values else None
        out.append(entry)
    return sorted(out, key=row_rank)


def row_rank(entry: dict) -> tuple:
    """Where a summary entry goes: its row's place in :data:`ROWS` (its
    decoded rows after it), a calibrated twin right after its row."""
    row = entry['row'].removesuffix(CALIBRATED)
    order = [(r.arch, r.input, name) for r in ROWS for name in (r.objective, *r.redecoded)]
    key = (entry['arch'], entry['input'], row)
    place = order.index(key) if key in order else len(order)
    return place, entry['row'].endswith(CALIBRATED)


# Randomized rounding's rows, and the stock rows of the same model each is judged against
JUDGED = {
    ('mobilenetv2', 'two-class spatial'): ('MSRA', rows.DARK),
    ('rtmpose-t', 'RR s=2'): ('SimCCLabel s=2',),
}


def met(ok: bool) -> str:
    return '**met**' if ok else '**not met**'


def goal_lines(summary: list[dict]) -> list[str]:
    """The goal's verdict for each randomized rounding row with its peers
    measured: ECE (raw and calibrated) against :data:`GOAL_ECE`, each AUROC
    against the peers' best, and, stated beside it, NME on occluded points."""
    by = {(s['arch'], s['input'], s['row']): s for s in summary}
    out = []
    for (arch, ours), peers in JUDGED.items():
        for size in sorted({s['input'] for s in summary if s['arch'] == arch}):
            rr, fitted = by.get((arch, size, ours)), by.get((arch, size, ours + CALIBRATED))
            theirs = [by[arch, size, p] for p in peers if (arch, size, p) in by]
            if rr is None or not theirs or rr['ECE'] is None:
                continue

            ece = f'ECE {rr["ECE"]:.3f} ({met(rr["ECE"] <= GOAL_ECE)})'
            if fitted is not None and fitted['ECE'] is not None:
                ece += f', calibrated {fitted["ECE"]:.3f} ({met(fitted["ECE"] <= GOAL_ECE)})'
            ece += peers_ece(by, arch, size, theirs)
            parts = [ece]
            # a peer's calibrated scores rank without the clipping's ties: its better AUROC
            ranked = theirs + [
                by[arch, size, p['row'] + CALIBRATED]
                for p in theirs
                if (arch, size, p['row'] + CALIBRATED) in by
            ]
            for name in ('AUROC/occluded', 'AUROC/failed'):
                best = max((p[name] for p in ranked if p[name] is not None), default=None)
                if rr[name] is not None and best is not None:
                    parts.append(
                        f'{name} {rr[name]:.3f} against {best:.3f} ({met(rr[name] >= best)})'
                    )
            name = 'NME/occluded points'
            best = min((p[name] for p in theirs if p[name] is not None), default=None)
            if rr[name] is not None and best is not None:
                worse = 'higher' if rr[name] > best else 'not higher'
                parts.append(f'NME on occluded points {rr[name]:.2f} against {best:.2f} ({worse})')
            out.append(f'- {arch} {size} {ours}: ' + '; '.join(parts))
    return out


def peers_ece(by: dict, arch: str, size: int, theirs: list[dict]) -> str:
    """Each peer's ECE, raw and, where its run was calibrated too,
    calibrated."""
    named = []
    for p in theirs:
        if p['ECE'] is None:
            continue
        fitted = by.get((arch, size, p['row'] + CALIBRATED))
        calibrated = '-' if fitted is None or fitted['ECE'] is None else f'{fitted["ECE"]:.3f}'
        named.append((p['row'], p['ECE'], calibrated))
    if not named:
        return ''
    if all(c == '-' for *_, c in named):  # measured before the peers were calibrated too
        best = min(raw for _, raw, _ in named)
        return f"; the peers' raw ECE, best {best:.3f} (their scores are not calibrated)"
    return "; the peers' ECE, raw / calibrated: " + ', '.join(
        f'{row} {raw:.3f} / {calibrated}' for row, raw, calibrated in named
    )


def table(summary: list[dict]) -> str:
    head = '| backbone | objective | epochs | seeds | ' + ' | '.join(c[0] for c in COLUMNS) + ' |'
    lines = [head, '|---' * (4 + len(COLUMNS)) + '|']
    for s in summary:
        cells = ['-' if s[name] is None else fmt.format(s[name]) for _, name, fmt in COLUMNS]
        name = f'| {s["arch"]} {s["input"]} | {s["row"]} | {s["epochs"]} | {s["seeds"]} | '
        lines.append(name + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def uncalibrated_peers(runs: list[dict]) -> str:
    """A sentence naming the rows stored without their calibrated twin on
    some seed (measured before the peers were calibrated too), with the
    commands that retrain the study's rows behind them, or ''."""
    stored = {(r['arch'], r['input'], r['row'], r['seed']) for r in runs}
    lacking = {
        (arch, size, row, seed)
        for arch, size, row, seed in stored
        if not row.endswith(CALIBRATED) and (arch, size, row + CALIBRATED, seed) not in stored
    }
    if not lacking:
        return ''
    missing = sorted({f'{arch} {size} {row}' for arch, size, row, _ in lacking})
    commands = []
    for r in ROWS:  # a re-decoded row (MSRA + DARK) comes back with the row that trains it
        names = (r.objective, *r.redecoded)
        seeds = sorted({s for a, i, n, s in lacking if (a, i) == (r.arch, r.input) and n in names})
        if seeds:
            command = ['python', '-m', 'tools.benchmarks.quality', '--rows', r.name, '--seeds']
            commands.append(f'`{shlex.join([*command, *map(str, seeds), "--rerun"])}`')
    adds = (
        f' ({rows.listed(commands)} add{"s" if len(commands) == 1 else ""} '
        f'{"them" if len(missing) > 1 else "it"})'
    )
    return f'Stored without a calibrated row: {", ".join(missing)}{adds if commands else ""}. '


def section(result: dict, results: dict) -> str:
    return '\n'.join(
        [
            f'## {TITLE}',
            '',
            rows.training_provenance(
                [r for r in rows.trainings(result['runs']) if not calibrated(r)],
                'python -m tools.benchmarks.quality --rerun',
            ),
            '',
            'Generated faces with hard cases (`generate_dataset(hard_cases=True)`: occluders '
            'over some landmarks, flagged in the annotation, blur and low light), the heatmap '
            f'rows trained as in the resolution study ({resolution.EPOCHS} CPU epochs of '
            f'{rows.NUM_TRAIN} faces), '
            "the RTMPose rows with the RTMPose study's recipe "
            f'({rtmpose.EPOCHS} CPU epochs of {rtmpose.RECIPE.num_train} faces), '
            f'tested on the {TEST_FACES} hard-case test faces with '
            '`FaceLandmarkMetric` '
            '(outer eye corners). NME: the mean of the per-face NME, in %; NME on visible and on '
            'occluded points in %, averaged over keypoints; p99: the 99th percentile of the '
            'per-face NME; FR@0.1 and AUC@0.1 per face; ECE of the score against "normalised error '
            'below 0.05"; AUROC of (1 - score) for occluded and for failed (error above 0.1) '
            "points; means of the seeds. Scores: randomized rounding's probability mass of the "
            "decoded cells or window; MSRA's and DARK's heatmap maximum and stock SimCC's logit "
            'maximum, clipped to [0, 1]. `, calibrated`: the scores calibrated against the '
            f'same event, fitted per row and seed on {CALIBRATION_FACES} other hard-case faces: '
            "randomized rounding's by the temperature and bias of its probability's log-odds, "
            "as the codec applies them; a peer's by Platt scaling of its unclipped score "
            "(sigmoid(a x score + b)), which also ranks it without the clipping's ties. "
            f'{uncalibrated_peers(result["runs"])}Goal: ECE at most {GOAL_ECE} for randomized '
            "rounding, and AUROCs at least every peer's (raw or calibrated).",
            '',
            table(summarise(result['runs'])),
            *rows.paragraph(rows.still_to_run(ROWS, result['runs'])),
            *(
                ['', "Against the goal (each peer's best figure):", '', *goals]
                if (goals := goal_lines(summarise(result['runs'])))
                else []
            ),
        ]
    )


def run(chosen: list[Row], seeds: tuple[int, ...] | None = None, rerun: bool = False) -> dict:
    """Train and measure the ``chosen`` rows' runs missing from the stored
    result (all with ``rerun``), saving it after every run."""
    import torch

    torch.set_num_threads(2)
    stored = study.load('quality') or dict(runs=[])
    runs = {quality_key(r): r for r in stored['runs']}
    for row in chosen:
        for seed in seeds or row.seeds:
            if not rerun and rows.stored_run(row, seed, runs):
                continue
            for r in run_row(row, seed):
                runs[quality_key(r)] = r
                print(json.dumps({k: v for k, v in r.items() if k != 'provenance'}), flush=True)
            # runs carry their own provenance; the summary is derived when rendered
            study.save('quality', dict(runs=list(runs.values())), tag=False)
    return study.load('quality')


def quality_key(run: dict) -> tuple:
    """A run of this study: its row (with the score calibration named in
    it) at its seed."""
    return rows.run_key(run)


def main() -> None:
    print(table(summarise(run(*study.row_arguments(__doc__.splitlines()[0], ROWS))['runs'])))


if __name__ == '__main__':
    main()
