"""The trained rows every training study shares: which shipped config each
row changes and how, its recipe scaled to the CPU, one training run, the
store of runs that resumes after a stop, and the summary of its seeds.

Studies (``convergence``, ``rtmpose``, ``resolution``, ``quality``) list
their :class:`Row` s; :func:`train` trains those missing from the study's
result file and saves the file after every run (``quality`` trains its own
way, on the hard-case faces, with the same configs: :func:`row_config`).

The recipe, scaled: one CPU epoch is :data:`NUM_TRAIN` generated faces at
batch :data:`BATCH`, as one WFLW epoch at 8x64 (7500 faces). The warm-up
keeps its share of the iterations (the paper configs: 500 of 60 x 15), the
learning-rate steps and stage switches their share of the epochs. NME (outer
eye corners) on :data:`NUM_TEST` generated test faces after every epoch,
flip test on.
"""

from __future__ import annotations

import contextlib
import functools
import json
import shlex
import sys
from collections.abc import Callable, Hashable, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from . import study

NUM_TRAIN, BATCH, NUM_TEST = 240, 16, 150
NME_GOAL = 5.0  # %: "first epoch at which a row reaches 5 % NME"


def iterations(epochs: int, num_train: int) -> int:
    """The optimiser steps of ``epochs`` of ``num_train`` faces at :data:`BATCH`."""
    return epochs * (num_train // BATCH)


PAPER_CONFIGS = {
    arch: f'face_2d_keypoint/rr_heatmap/300w/td-hm_{arch}_rr-8xb64-60e_300w-p2-{size}x{size}.py'
    for arch, size in (('mobilenetv2', 128), ('hrnetv2-w18', 256))
}
# The full recipes run 60 epochs of ceil(7500 / 512) = 15 iterations on WFLW.
FULL_ITERATIONS = 60 * 15
# Their warm-ups: the paper configs' 500 iterations, RTMPose's 1000 (which
# outlasts its WFLW run: its learning rate never finishes warming up).
PAPER_WARMUP_SHARE = 500 / FULL_ITERATIONS
# RTMPose-t on 300W: MMPose's RTMPose WFLW recipe with RTMPose-t's backbone
# and head, and randomized rounding; the stock rows put SimCCLabel back.
RTMPOSE_CONFIG = 'face_2d_keypoint/rr_simcc/300w/rtmpose-t_rr-8xb64-60e_300w-128x128.py'
RTMPOSE_WARMUP_SHARE = 1000 / FULL_ITERATIONS
HEATMAP_OBJECTIVES = {
    'two-class per-pixel': 'PixelwiseTwoClassCELoss',
    'two-class spatial': 'TwoClassSpatialSoftmaxCELoss',
    'spatial softmax': 'SpatialSoftmaxCELoss',
    'MSRA': None,  # MMPose's MSRAHeatmap + KeypointMSELoss (study.msra_head)
    # MMPose's DARK configs: MSRAHeatmap(unbiased=True), unbiased Gaussian
    # targets as well as DARK's decoding (the 'MSRA + DARK' row decodes the
    # MSRA weights, trained on integer-centred targets, with DARK)
    'DARK': None,
    'UDP': None,  # MMPose's UDPHeatmap + KeypointMSELoss, UDP crops (study.udp_head)
}
DARK = 'MSRA + DARK'  # the MSRA weights, re-decoded with DARK
# RTMPose-t objectives: (codec, split ratio s); 'SimCCLabel' is RTMPose's
# own (face settings: Gaussian labels, sigma scaled to the input, loss with
# label softmax), 'RR' RandomizedRoundingSimCC with its loss setting.
SIMCC_OBJECTIVES = {
    'SimCCLabel s=2': ('SimCCLabel', 2.0),
    'SimCCLabel s=1': ('SimCCLabel', 1.0),
    'SimCCLabel s=0.5': ('SimCCLabel', 0.5),
    'RR s=2': ('random', 2.0),
    'RR s=1': ('random', 1.0),
    'RR s=0.5': ('random', 0.5),
    'RR expected s=1': ('expected', 1.0),
}


@dataclass(frozen=True)
class RTMPoseRecipe:
    """How a study trains an RTMPose row from scratch. ``None`` keeps
    MMPose's recipe, scaled as the heatmap rows' are; every other value is
    a deviation from it.

    Attributes:
        lr: AdamW's learning rate at the study's batch (MMPose: 4e-3 for a
            total batch of 512)
        warmup_share: Share of the iterations the linear warm-up takes
            (MMPose: 1000 iterations, longer than its own WFLW run)
        pipeline: ``'stage2'`` trains with the config's milder second-stage
            pipeline throughout (MMPose: the heavy one until the last sixth)
        num_train: Generated training faces per epoch
        decay_end: Share of the epochs at which the cosine decay reaches
            its floor, which then holds (MMPose: 1, the last epoch, so a
            curve still falls over its last fifth however long it runs)
    """

    lr: float | None = None
    warmup_share: float | None = None
    pipeline: str | None = None
    num_train: int | None = None
    decay_end: float | None = None

    def __post_init__(self) -> None:
        if self.pipeline not in (None, 'stage2'):
            raise ValueError(f'pipeline must be None or stage2, got {self.pipeline!r}')
        if self.decay_end is not None and not 0.5 < self.decay_end <= 1:
            raise ValueError(f'decay_end must lie in (0.5, 1], got {self.decay_end!r}')

    @property
    def tag(self) -> str:
        """The fields that depart from MMPose's, compact, for work dirs
        (whose names give the faces already)."""
        short = dict(lr='lr', warmup_share='warmup', pipeline='', decay_end='decay')
        return '-'.join(
            f'{short[k]}{v}' for k, v in asdict(self).items() if v is not None and k in short
        )

    def apply(self, cfg) -> None:
        """Change an RTMPose config as this recipe says."""
        if self.lr is not None:
            cfg.optim_wrapper.optimizer.lr = self.lr
            for s in cfg.param_scheduler:
                if 'eta_min' in s:  # MMPose's cosine ends at 5 % of the base rate
                    s['eta_min'] = self.lr * 0.05
        if self.decay_end is not None:
            (cosine,) = (s for s in cfg.param_scheduler if s['type'] == 'CosineAnnealingLR')
            # MMPose's decay starts half-way; scale_schedule rescales both ends
            cosine['end'] = round(self.decay_end * cfg.train_cfg.max_epochs)
            cosine['T_max'] = cosine['end'] - cosine['begin']
        if self.pipeline == 'stage2':
            hooks = cfg.custom_hooks
            switch = next(h for h in hooks if h.type == 'mmdet.PipelineSwitchHook')
            cfg.train_dataloader.dataset.pipeline = switch.switch_pipeline
            cfg.custom_hooks = [h for h in hooks if h is not switch]


# MMPose's RTMPose recipe, scaled: the learning-speed rows train with it.
MMPOSE_RTMPOSE_RECIPE = RTMPoseRecipe()


def listed(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return ' and '.join([', '.join(items[:-1]), items[-1]] if len(items) > 2 else items)


# The paper configs' heatmap stride, that of the backbones' fused features:
# unsaid in row names, and that of runs stored before strides were recorded.
PAPER_STRIDE = 4


def row_name(arch: str, size: int, stride: int, objective: str) -> str:
    """A row's name, e.g. 'mobilenetv2 128 stride 8 MSRA' (stride 4 unsaid)."""
    said = f' stride {stride}' if stride != PAPER_STRIDE else ''
    return f'{arch} {size}{said} {objective}'


def stride_of(run: dict) -> int:
    """A stored run's or summary entry's heatmap stride."""
    return run.get('stride', PAPER_STRIDE)


def name_of(run: dict) -> str:
    """A stored run's or summary entry's row name (:func:`row_name`)."""
    return row_name(run['arch'], run['input'], stride_of(run), run['row'])


@dataclass(frozen=True)
class Row:
    """One trained model of a study; its ``redecoded`` rows come with it.

    Attributes:
        arch: 'mobilenetv2', 'hrnetv2-w18' or 'rtmpose-t'
        objective: A key of :data:`HEATMAP_OBJECTIVES` or :data:`SIMCC_OBJECTIVES`
        input: Input size (square)
        seeds: The seeds a study trains
        epochs: CPU epochs
        stride: Heatmap stride of a heatmap row (4: the paper configs')
        recipe: How an RTMPose row trains
    """

    arch: str
    objective: str
    input: int
    seeds: tuple[int, ...] = (0, 1)
    epochs: int = 20
    stride: int = PAPER_STRIDE
    recipe: RTMPoseRecipe = field(default=MMPOSE_RTMPOSE_RECIPE)

    def __post_init__(self) -> None:
        known = SIMCC_OBJECTIVES if self.arch == 'rtmpose-t' else HEATMAP_OBJECTIVES
        if self.objective not in known:
            raise ValueError(f'{self.arch} has no objective {self.objective!r}')

    @property
    def name(self) -> str:
        return row_name(self.arch, self.input, self.stride, self.objective)

    @property
    def num_train(self) -> int:
        return self.recipe.num_train or NUM_TRAIN

    @property
    def iterations(self) -> int:
        return iterations(self.epochs, self.num_train)

    def work_dir(self, study_name: str, seed: int) -> Path:
        """Where ``study_name`` trains this row at ``seed``: a run of
        another budget or recipe trains elsewhere."""
        recipe = f'-{self.recipe.tag}' if self.arch == 'rtmpose-t' and self.recipe.tag else ''
        name = f'{self.name}-{self.epochs}e-{self.num_train}f{recipe}-seed{seed}'
        return study.WORK / study_name / name.replace(' ', '_')

    @property
    def redecoded(self) -> tuple[str, ...]:
        return (DARK,) if self.objective == 'MSRA' else ()

    def keys(self) -> list[tuple]:
        """The summary keys of this row and its re-decoded rows."""
        common = (self.arch, self.input, self.stride)
        recipe = self.recipe if self.arch == 'rtmpose-t' else None
        return [
            (*common, o, self.epochs, self.num_train, recipe)
            for o in (self.objective, *self.redecoded)
        ]


def recipe_of(run: dict) -> RTMPoseRecipe | None:
    """The recipe an RTMPose run or summary entry trained with (a field the
    run predates is MMPose's); None for a heatmap row's."""
    return RTMPoseRecipe(**run.get('recipe', {})) if run['arch'] == 'rtmpose-t' else None


def summary_key(run: dict) -> tuple:
    """What groups a study's runs over seeds (runs stored before strides
    and face counts were recorded are stride 4 on 240 faces). An RTMPose
    run's recipe is part of it: a run of another recipe is another row's."""
    return (
        run['arch'],
        run['input'],
        stride_of(run),
        run['row'],
        run['epochs'],
        run.get('num_train', NUM_TRAIN),
        recipe_of(run),
    )


def summary_key_of(entry: dict) -> tuple:
    """The summary key of an entry of :func:`summarise`, which carries the
    fields of its runs' key."""
    return summary_key(entry)


def run_key(run: dict) -> tuple:
    """What identifies one run: its summary key and seed."""
    return (*summary_key(run), run['seed'])


def heatmap_config(arch: str, objective: str, size: int, stride: int = PAPER_STRIDE):
    """The shipped 300W P2 paper config of ``arch`` at ``size`` input, with
    the head, loss and codec of ``objective``, and heatmaps at ``stride``:
    MMPose's ``FeatureMapProcessor`` resizes the fused stride-4 features by
    ``4 / stride`` (bilinear) before the head."""
    from mmengine.config import Config

    from rr_mmpose import config_path

    if stride not in (4, 8, 16, 32):
        raise ValueError(f'stride must be 4, 8, 16 or 32, got {stride}')
    cfg = Config.fromfile(config_path(PAPER_CONFIGS[arch]))
    study.set_input_size(cfg, size)
    heatmap = size // stride
    if stride != PAPER_STRIDE:
        cfg.model.neck.scale_factor = PAPER_STRIDE / stride
    head = cfg.model.head
    if objective in ('MSRA', 'DARK'):
        codec = study.msra_codec(size, heatmap, dark=objective == 'DARK')
        cfg.model.head, cfg.model.test_cfg = study.msra_head(
            head.in_channels, head.out_channels, codec
        )
    elif objective == 'UDP':
        codec = study.udp_codec(size, heatmap)
        cfg.model.head, cfg.model.test_cfg = study.udp_head(
            head.in_channels, head.out_channels, codec
        )
        study.use_udp_crops(cfg)
    else:
        codec = dict(cfg.codec, input_size=(size, size), heatmap_size=(heatmap, heatmap))
        head.loss = dict(type=HEATMAP_OBJECTIVES[objective], use_target_weight=True)
    study.use_codec(cfg, codec)
    return cfg


def rtmpose_config(objective: str, size: int):
    """The shipped RTMPose-t 300W config at ``size`` input with the codec
    (and, for stock SimCC, the loss) of ``objective``."""
    from mmengine.config import Config

    from rr_mmpose import config_path

    cfg = Config.fromfile(config_path(RTMPOSE_CONFIG))
    study.set_input_size(cfg, size)
    target, split = SIMCC_OBJECTIVES[objective]
    head = cfg.model.head
    head.update(input_size=(size, size), in_featuremap_size=(size // 32, size // 32))
    head.simcc_split_ratio = split
    if target == 'SimCCLabel':
        codec = study.simcc_label(size, split)
        head.loss.label_softmax = True  # RTMPose's own setting
    else:
        codec = dict(cfg.codec, input_size=(size, size), simcc_split_ratio=split)
        codec['target_mode'] = target
    study.use_codec(cfg, codec)
    return cfg


def seeded_albumentation(cfg) -> None:
    """Every ``Albumentation`` step of the config draws from numpy's seeded
    generator (:class:`rr_mmpose.datasets.SeededAlbumentation`), so that a
    run repeats: albumentations seeds its own generators from the system."""
    for pipeline in study.pipelines(cfg):
        for step in pipeline:
            if step.type == 'Albumentation':
                step.type = 'SeededAlbumentation'


def row_config(row: Row, seed: int, data_root: Path, work_dir: Path):
    """The config of ``row`` at ``seed``, trained for ``row.epochs`` on the
    generated faces at ``data_root``, logging to ``work_dir``."""
    if row.arch == 'rtmpose-t':
        cfg = rtmpose_config(row.objective, row.input)
        seeded_albumentation(cfg)
        row.recipe.apply(cfg)
        warmup_share = row.recipe.warmup_share or RTMPOSE_WARMUP_SHARE
    else:
        cfg = heatmap_config(row.arch, row.objective, row.input, row.stride)
        warmup_share = PAPER_WARMUP_SHARE
    from rr_mmpose.testing import on_generated_faces

    on_generated_faces(
        cfg,
        data_root,
        batch_size=BATCH,
        num_workers=1,
        num_train=row.num_train,
        num_test=NUM_TEST,
        work_dir=work_dir,
    )
    cfg.randomness = dict(seed=seed)
    study.scale_schedule(cfg, row.epochs, row.num_train // BATCH, warmup_share, FULL_ITERATIONS)
    study.drop_authoring_variables(cfg)
    return cfg


def redecoder(row: Row, name: str) -> dict:
    assert name == DARK
    return study.msra_codec(row.input, row.input // row.stride, dark=True)


def run_row(
    row: Row, seed: int, data_root: Path, work_dir: Path, command: str | None = None
) -> list[dict]:
    """Train ``row`` at ``seed`` (its last checkpoint kept, for the studies
    that use trained models) and return its runs, the row's and its
    re-decoded rows', each with its NME curve and provenance (``command``:
    the one that reproduces it, if not the one running)."""
    cfg = row_config(row, seed, data_root, work_dir)
    result = study.train_and_evaluate(cfg, {n: redecoder(row, n) for n in row.redecoded})
    common = dict(
        arch=row.arch,
        input=row.input,
        stride=row.stride,
        seed=seed,
        epochs=row.epochs,
        num_train=row.num_train,
        batch=BATCH,
        train_seconds=result['train_seconds'],
        provenance=study.provenance(command, result['commit']),
        # a run resumed after a stop: where, and which commit trained the epochs before
        **({'resumed': result['resumed']} if result['resumed'] else {}),
    )
    if row.arch == 'rtmpose-t':
        common['recipe'] = asdict(row.recipe)
    common['checkpoint_sha256'] = checkpoint_digest(work_dir / f'epoch_{row.epochs}.pth')
    runs = [dict(common, row=row.objective, nme=result['nme'])]
    runs += [dict(common, row=n, nme=curve) for n, curve in result['redecoded'].items()]
    return runs


def train(
    study_name: str,
    rows: list[Row],
    seeds: tuple[int, ...] | None,
    rerun: bool,
    command: str | None = None,
) -> dict:
    """Train each of ``rows`` at its seeds (or ``seeds``) that
    ``docs/benchmarks/<study_name>.json`` does not hold yet (all with
    ``rerun``), saving the file after every run; returns its content.
    Each run records ``command``, or by default its own
    (:func:`own_command`): the one command that trains it again."""
    import torch

    from rr_mmpose.datasets import generated_faces

    torch.set_num_threads(2)
    data_root = generated_faces(study.DATA)
    stored = study.load(study_name) or dict(runs=[])
    runs = {run_key(r): r for r in stored['runs']}
    for row in rows:
        for seed in seeds or row.seeds:
            if not rerun and stored_run(row, seed, runs):
                continue
            # each run records the one command that trains it again, whatever ran it
            own = command or own_command(study_name, row, seed)
            for r in run_row(row, seed, data_root, row.work_dir(study_name, seed), own):
                runs[run_key(r)] = r
                print(json.dumps(dict(r, nme=r['nme'][-1])), flush=True)
            study.save(study_name, dict(runs=list(runs.values())), tag=False)
    return study.load(study_name) or dict(runs=[])


def trained_model(study_name: str, row: Row, seed: int = 0):
    """``(model, cfg, weights)``: ``study_name``'s run of ``row`` at
    ``seed``, loaded from its last checkpoint, and ``weights_tag`` of that
    run (a measuring study stores it, so its section can tell when the
    weights it measured were retrained since). Without the checkpoint (a
    fresh clone keeps no work dirs), or where the stored run has no digest
    to check it against, the run is trained and stored in ``study_name``'s
    file, replacing the stored run of the same key, under ``study_name``'s
    own command for that run: a study then measures the weights whose
    figures that file shows. It says so on stderr."""
    from mmpose.apis import init_model

    from rr_mmpose.datasets import generated_faces

    work_dir = row.work_dir(study_name, seed)
    checkpoint = work_dir / f'epoch_{row.epochs}.pth'
    run = stored_run_of(study_name, row, seed)
    unchecked = run is not None and run.get('checkpoint_sha256') is None  # stored before digests
    if not checkpoint.is_file() or unchecked:
        command = own_command(study_name, row, seed)
        why = 'has no digest stored' if checkpoint.is_file() else 'is missing'
        print(
            f'{checkpoint} {why}: training {row.name!r} at seed {seed} and storing it in '
            f'{study.OUT / study_name}.json, in place of any stored run of it, as `{command}`',
            file=sys.stderr,
            flush=True,
        )
        train(study_name, [row], (seed,), rerun=True, command=command)
        run = stored_run_of(study_name, row, seed)
    if run is None:
        raise RuntimeError(
            f'{checkpoint} is no run that {study_name} stores for {row.name!r} at seed {seed}; '
            'retrain it with --rerun'
        )
    if checkpoint_digest(checkpoint) != run['checkpoint_sha256']:
        raise RuntimeError(
            f'{checkpoint} is not the checkpoint of the run {study_name} stores for '
            f'{row.name!r} at seed {seed}; retrain it with --rerun'
        )
    cfg = row_config(row, seed, generated_faces(study.DATA), work_dir)
    # MMEngine's EMAHook saves the EMA weights as the checkpoint's state_dict.
    return init_model(cfg, str(checkpoint), device='cpu'), cfg, weights_tag(run)


def test_nme(model, cfg) -> float:
    """NME (%) of ``model``, as it is set, on ``cfg``'s test faces, by
    MMPose's ``test_step`` and its ``NME`` metric, as the run's validation
    measured it (the studies that test stored weights check that they get
    its final NME, :func:`check_reproduced`)."""
    return test_nmes(model, cfg, {None: contextlib.nullcontext})[None]


def test_nmes(
    model, cfg, decodings: Mapping[Hashable, Callable[[], contextlib.AbstractContextManager]]
) -> dict:
    """NME (%) of ``model`` on ``cfg``'s test faces within each of
    ``decodings`` (key: a context in which the head decodes its own way),
    as :func:`test_nme` measures it, with one pass of the backbone.

    Each batch runs MMPose's whole ``test_step`` in every context, but only
    the first computes the features (plain and, with flip test, flipped);
    the others are given the same features for the same inputs, so only the
    head's forward and decode run again.
    """
    import torch
    from mmengine.evaluator import Evaluator
    from mmengine.runner import Runner

    if not decodings:
        raise ValueError('test_nmes needs at least one decoding')
    # the config's own sampler and collate, as a test loop builds them
    loader = Runner.build_dataloader(
        dict(cfg.test_dataloader, num_workers=0, persistent_workers=False)
    )
    dataset = loader.dataset
    (nme_cfg,) = [m for m in cfg.test_evaluator if m['type'] == 'NME']
    evaluators = {key: Evaluator(nme_cfg) for key in decodings}
    for evaluator in evaluators.values():
        evaluator.dataset_meta = dataset.metainfo
    own = vars(model).get('extract_feat')  # a caller's patch, put back after
    extract = model.extract_feat
    computed: list[tuple] = []  # this batch's (inputs, features), in the order of the calls

    def computing(inputs):
        computed.append((inputs, extract(inputs)))
        return computed[-1][1]

    def given(calls):
        def extract_feat(inputs):
            done, feats = next(calls, (None, None))
            if done is None or not torch.equal(done, inputs):
                raise RuntimeError('a decoding asked for features the first did not compute')
            return feats

        return extract_feat

    try:
        with torch.no_grad():
            for batch in loader:
                computed.clear()
                for i, (key, decoding) in enumerate(decodings.items()):
                    # an instance attribute, read by the estimator's predict
                    model.extract_feat = computing if i == 0 else given(iter(list(computed)))
                    with decoding():
                        samples = model.test_step(batch)
                    evaluators[key].process(data_samples=samples, data_batch=batch)
    finally:
        vars(model).pop('extract_feat', None)
        if own is not None:
            model.extract_feat = own
    return {key: 100 * float(e.evaluate(len(dataset))['NME']) for key, e in evaluators.items()}


def stored_weights(trained: Trained, seed: int) -> tuple:
    """``(model, cfg, entry)``: ``trained``'s run at ``seed``, loaded in
    eval mode (:func:`trained_model`), and the entry a study that measures
    it stores, naming the run (study, backbone, row, input, seed), its
    weights and its stored final NME (``stored_nme``)."""
    model, cfg, weights = trained_model(trained.study, trained.row, seed)
    entry = dict(
        study=trained.study,
        arch=trained.row.arch,
        row=trained.row.objective,
        input=trained.row.input,
        seed=seed,
        weights=weights,
        stored_nme=stored_run_of(trained.study, trained.row, seed)['nme'][-1],
    )
    return model.eval(), cfg, entry


# A study that tests stored weights as their run was tested must get the
# run's final NME: the same weights, test and metric (exactly on the CPU
# kind that trained them; float noise elsewhere).
REPRODUCED = 0.01  # NME points


def check_reproduced(what: str, measured: float, stored: float) -> None:
    """Raise unless ``measured`` (by ``what``) reproduces the stored final NME."""
    if abs(measured - stored) > REPRODUCED:
        raise RuntimeError(
            f'{what} gives {measured:.4f} % NME, but its run stores {stored:.4f} %: this is '
            "not the study's own test"
        )


def reproduction(subject: str, gaps: list[float]) -> str:
    """Whether ``subject`` reproduced each run's stored final NME, given
    each run's gap (NME points); empty without runs."""
    if not gaps:
        return ''
    gap = max(gaps)
    verdict = 'reproduces' if gap <= REPRODUCED else 'does not reproduce'
    return f"{subject} {verdict} each run's stored final NME (largest gap {gap:.1e} points)."


def measuring_command(study_name: str, name: str, seed: int) -> str:
    """The command of ``study_name``, a study that measures stored weights,
    that measures row ``name`` at ``seed`` again."""
    return shlex.join(
        ['python', '-m', f'tools.benchmarks.{study_name}', '--rows', name, '--seeds', str(seed)]
    )


def measure_trained(
    study_name: str,
    names: list[str],
    seeds: tuple[int, ...],
    measure_one: Callable[[str, int], dict],
) -> dict:
    """``measure_one(name, seed)`` for each of ``names`` at each of
    ``seeds``, storing ``study_name``'s file after each: the entry, tagged
    with its provenance and :func:`measuring_command`, replaces any stored
    one of the same backbone, row, input and seed. Returns the file."""
    for name in names:
        for seed in seeds:
            entry = measure_one(name, seed)
            key = (entry['arch'], entry['row'], entry['input'], entry['seed'])
            stored = (study.load(study_name) or {}).get('runs', [])
            kept = [r for r in stored if (r['arch'], r['row'], r['input'], r['seed']) != key]
            entry['provenance'] = study.provenance(measuring_command(study_name, name, seed))
            study.save(study_name, dict(runs=[*kept, entry]), tag=False)
    return study.load(study_name)


def measuring_main(doc: str, names: tuple[str, ...], seeds: tuple[int, ...], run: Callable) -> None:
    """The command line of a study that measures stored weights (``doc``
    its module's): ``--rows`` among ``names`` and ``--seeds``, by default
    all of them, passed to ``run(rows, seeds)``."""
    import argparse

    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument('--rows', nargs='+', default=list(names), choices=list(names))
    parser.add_argument('--seeds', nargs='+', type=int, default=list(seeds))
    args = parser.parse_args()
    run(args.rows, tuple(args.seeds))


def stored_run_of(study_name: str, row: Row, seed: int) -> dict | None:
    """The run of ``row`` at ``seed`` that ``study_name``'s file stores, if any."""
    stored = (study.load(study_name) or {}).get('runs', [])
    return next((r for r in stored if run_key(r) == (*row.keys()[0], seed)), None)


def own_command(study_name: str, row: Row, seed: int) -> str:
    """The command of study ``study_name`` that trains ``row`` at ``seed``
    again: the one that reproduces that run, whoever asked for it."""
    return rerun_one(study_name, '--rows', row.name, seed)


def rerun_one(study_name: str, option: str, name: str, seed: int) -> str:
    """Study ``study_name``'s command that trains the one run ``name`` (given
    by ``option``) at ``seed`` again, replacing the stored one."""
    return shlex.join(
        ['python', '-m', f'tools.benchmarks.{study_name}', option, name]
        + ['--seeds', str(seed), '--rerun']
    )


def weights_tag(run: dict) -> dict:
    """Which stored run's weights a study measured: its key (row, stride,
    epochs, recipe, seed), commit and checkpoint digest."""
    return dict(
        row=run['row'],
        stride=stride_of(run),
        epochs=run['epochs'],
        recipe=run.get('recipe'),
        seed=run['seed'],
        commit=run['provenance'].get('commit'),
        checkpoint_sha256=run.get('checkpoint_sha256'),
    )


def retrained_since(entries: list[dict], results: dict) -> list[str]:
    """The names of ``entries`` (a measuring study's rows, each with its
    ``study`` and ``weights``) whose weights are not, or no longer provably,
    those of the run their study stores: retrained since, or measured
    before weights were recorded."""
    stale = []
    for e in entries:
        weights = e.get('weights') or {}
        runs = (results.get(e.get('study', 'convergence')) or {}).get('runs', [])
        key = ('row', 'stride', 'epochs', 'recipe', 'seed')
        current = next(
            (
                r
                for r in runs
                if (r['arch'], r['input'], r['row'], stride_of(r))
                + (r['epochs'], r.get('recipe'), r['seed'])
                == (e['arch'], e['input'], *(weights.get(k) for k in key))
            ),
            None,
        )
        digest = weights.get('checkpoint_sha256')
        if digest is None or current is None or current.get('checkpoint_sha256') != digest:
            stale.append(f'{e["arch"]} {e["input"]} {e["row"]}')
    return list(dict.fromkeys(stale))  # one name per row, whatever its seeds


def retrained_paragraph(entries: list[dict], results: dict, command: str) -> list[str]:
    """A section's lines naming the rows it measured on weights that are not
    provably those its source study stores now (none: no lines)."""
    stale = retrained_since(entries, results)
    if not stale:
        return []
    named = {(e['arch'], e['input'], e['row']) for e in entries}
    which = 'every row' if len(stale) == len(named) else '; '.join(f'`{name}`' for name in stale)
    return [
        '',
        'Measured on weights that their study has retrained since, or that were not '
        f'recorded (`{command}` measures the stored ones): {which}.',
    ]


def checkpoint_digest(path: Path) -> str:
    """The first 16 hex digits of ``path``'s SHA-256: ties a stored run to
    the checkpoint that the studies measuring trained models load."""
    import hashlib

    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class Trained:
    """A study's row, named: what the studies that measure trained models
    (edge, video) use, so that each measures the weights that study
    stored."""

    study: str
    row: Row


def named(study_name: str, study_rows: list[Row], name: str) -> Trained:
    """``study_name``'s row called ``name`` (a ``KeyError`` naming the known
    ones otherwise)."""
    by_name = {r.name: r for r in study_rows}
    if name not in by_name:
        raise KeyError(f'{study_name} has no row {name!r}; it has {sorted(by_name)}')
    return Trained(study_name, by_name[name])


# How a section names the models its stored results measured; results
# without ``study`` predate the converged studies.
TRAINED_IN = {
    'convergence': "the [learning-speed study](#convergence)'s rows (20 epochs)",
    'resolution': 'the heatmap rows of the [resolution study](#resolution) (60 epochs)',
    'rtmpose': 'the RTMPose rows of the [RTMPose study](#rtmpose)',
}


def models_measured(entries: list[dict]) -> str:
    """Which trained models a section's ``entries`` measured: e.g. "the
    heatmap rows of the resolution study (60 epochs) and the RTMPose rows
    of the RTMPose study", at seed 0."""
    if not entries:
        return 'none yet'
    studies = dict.fromkeys(e.get('study', 'convergence') for e in entries)
    return ' and '.join(TRAINED_IN[s] for s in studies) + ', at seed 0'


def first_epoch_below(curve: list[float], goal: float = NME_GOAL) -> int | None:
    return next((i + 1 for i, v in enumerate(curve) if v < goal), None)


def last_fifth_change(curve: list[float]) -> float:
    """Relative change of ``curve`` over its last fifth of epochs (at
    least its last epoch)."""
    start = curve[len(curve) - 1 - max(1, len(curve) // 5)]
    return abs(start - curve[-1]) / curve[-1]


def summarise(runs: list[dict], rows: list[Row]) -> list[dict]:
    """One entry per row (and re-decoded row) of ``rows`` that ``runs``
    hold, in their order: its seeds, final NME mean and half-spread, first
    epoch below :data:`NME_GOAL` and last fifth's change per seed, mean
    curve and its last fifth's change, and the runs' dates."""
    out = []
    for key in [key for row in rows for key in row.keys()]:
        cell = sorted((r for r in runs if summary_key(r) == key), key=lambda r: r['seed'])
        if not cell:
            continue
        arch, size, stride, objective, epochs, num_train, recipe = key
        final = [r['nme'][-1] for r in cell]
        curve = np.mean([r['nme'] for r in cell], 0).tolist()
        out.append(
            dict(
                arch=arch,
                input=size,
                stride=stride,
                row=objective,
                epochs=epochs,
                num_train=num_train,
                **({} if recipe is None else dict(recipe=asdict(recipe))),
                seeds=[r['seed'] for r in cell],
                finals=final,
                final_mean=float(np.mean(final)),
                final_half_spread=float(np.ptp(final) / 2),
                first_below_goal=[first_epoch_below(r['nme']) for r in cell],
                last_fifth_changes=[last_fifth_change(r['nme']) for r in cell],
                curve_mean=curve,
                last_fifth_change=last_fifth_change(curve),
                dates=sorted({r['provenance']['date'] for r in cell}),
            )
        )
    return out


# "got worse before the end": a final NME more than this share above the best epoch's
WORSE_THAN_BEST = 0.05


def run_changes(
    runs: list[dict], change: Callable[[dict], float] | None = None
) -> list[tuple[dict, float]]:
    """Each trained run (:func:`trainings`) in row order with its flatness
    measure: ``change`` of the run, by default its NME's
    :func:`last_fifth_change`."""
    change = change or (lambda r: last_fifth_change(r['nme']))
    trained = sorted(
        trainings(runs),
        key=lambda r: (r['arch'], r['input'], stride_of(r), r['row'], r['seed']),
    )
    return [(r, change(r)) for r in trained]


def flatness_line(
    runs: list[dict],
    flat: float,
    which: str,
    change: Callable[[dict], float] | None = None,
    measure: str = 'the change over the last fifth of the epochs',
) -> str:
    """The flatness measure (``change`` of a run, by default its NME's
    :func:`last_fifth_change`; ``measure`` says what it is) on ``which``
    runs: the largest, and the runs at or above ``flat``, named."""
    changes = run_changes(runs, change)
    if not changes:
        return ''
    above = [f'{name_of(r)}, seed {r["seed"]} ({100 * c:.1f} %)' for r, c in changes if c >= flat]
    largest = max(c for _, c in changes)
    return f'The flatness measure ({measure}) on {which}: at most {100 * largest:.1f} %; ' + (
        f'at or above {100 * flat:g} %: {"; ".join(above)}. These runs still improve a little '
        'at the end, so "at convergence" is approximate for them.'
        if above
        else f'every run under {100 * flat:g} %.'
    )


@functools.cache
def final_rate_start(arch: str, epochs: int) -> int:
    """The first epoch (0-based) at which a heatmap row of ``arch`` trained
    for ``epochs`` runs at its final learning rate: its paper config's last
    MultiStepLR milestone, scaled as ``study.scale_schedule`` scales it."""
    from mmengine.config import Config

    from rr_mmpose import config_path

    cfg = Config.fromfile(config_path(PAPER_CONFIGS[arch]))
    steps = [m for s in cfg.param_scheduler if s['type'] == 'MultiStepLR' for m in s['milestones']]
    return study.scaled_epoch(max(steps), epochs, cfg.train_cfg.max_epochs)


def final_rate_change(run: dict) -> float:
    """Relative change of a heatmap run's NME over its epochs at the final
    learning rate, after the first of them (whose fall is the step's)."""
    curve = run['nme']
    return abs(curve[final_rate_start(run['arch'], run['epochs'])] - curve[-1]) / curve[-1]


def best_epoch_line(summary: list[dict]) -> str:
    """How far each row ended above its best epoch (mean curves of the
    seeds): the largest rise, and the rows more than
    :data:`WORSE_THAN_BEST` above it, which got worse before the end, as a
    model overfitting its few faces would."""
    if not summary:
        return ''

    def rise(s: dict) -> float:
        return s['final_mean'] / min(s['curve_mean']) - 1

    def said(s: dict) -> str:
        best = int(np.argmin(s['curve_mean']))
        return (
            f'{name_of(s)}, {100 * rise(s):.1f} % '
            f'({s["curve_mean"][best]:.2f} at epoch '
            f'{best + 1}, {s["final_mean"]:.2f} at the end)'
        )

    share = f'{100 * WORSE_THAN_BEST:g} %'
    above = [said(s) for s in summary if rise(s) > WORSE_THAN_BEST]
    if above:
        return (
            f'Rows that ended more than {share} above their best epoch (mean curves of the seeds; '
            f'they got worse before the end): {"; ".join(above)}.'
        )
    return (
        f'No row ended more than {share} above its best epoch (mean curves of the seeds); the '
        f'largest rise: {said(max(summary, key=rise))}.'
    )


def stored_run(row: Row, seed: int, keys) -> bool:
    """Whether ``keys`` (run keys, :func:`run_key`) hold ``row`` at ``seed``
    with each of its re-decoded rows: what a study trains only if missing."""
    return all((*key, seed) in keys for key in row.keys())


def still_to_run(study_rows: list[Row], runs: list[dict]) -> str:
    """A paragraph naming the rows of ``study_rows``, with their seeds, that
    ``runs`` lacks ('' when none): a section's text describes every row it
    will measure, its table only the stored ones."""
    have = {run_key(r) for r in runs}
    missing = []
    for row in study_rows:
        seeds = [s for s in row.seeds if not stored_run(row, s, have)]
        if seeds:
            missing.append(
                f'`{row.name}` ({"seed" if len(seeds) == 1 else "seeds"} '
                f'{", ".join(map(str, seeds))})'
            )
    if not missing:
        return ''
    lead = "Still to run (the study's command without `--rerun` trains just these): "
    return lead + '; '.join(missing) + '.'


def paragraph(text: str) -> list[str]:
    """``text`` as a markdown paragraph's lines after a blank one; none if empty."""
    return ['', text] if text else []


def trainings(runs: list[dict], derived: tuple[str, ...] = (DARK,)) -> list[dict]:
    """The runs that each trained a model: a ``derived`` row (another
    decoder or score reading of the same weights) shares its training's."""
    return [r for r in runs if r['row'] not in derived]


def training_provenance(trained: list[dict], command: str) -> str:
    """:func:`study.provenance_lines` of the runs that each ``trained`` a
    model, and a line for each run resumed after a stop: at which epoch, and
    the commit that trained up to it (its own tag names the
    commit that finished it)."""
    lines = [study.provenance_lines([r['provenance'] for r in trained], command, 'trained model')]
    for r in trained:
        if r.get('resumed'):
            said = listed(
                [
                    f'epoch {s["epoch"]} (trained to it at commit {s["commit"]})'
                    for s in r['resumed']
                ]
            )
            lines.append(f'- Resumed after a stop: {name_of(r)}, seed {r["seed"]}, after {said}')
    return '\n'.join(lines)


def final_nme(entry: dict) -> str:
    """A summary entry's final NME: mean ± half-spread over its seeds, or
    the one seed's figure (a spread of one seed would read as none)."""
    if len(entry['seeds']) == 1:
        return f'{entry["final_mean"]:.2f}'
    return f'{entry["final_mean"]:.2f} ± {entry["final_half_spread"]:.2f}'


# "At a quarter of the FLOPs" (an expectation's cost half): the input
# area's ratio at half the side, judged as stated. Layers whose cost does not
# shrink with the input, or a heavier head, keep a model above it; the
# measured ratio is quoted beside the verdict.
A_QUARTER = 0.25


def flops_ratio(costs: dict | None, ours: tuple, theirs: tuple) -> float | None:
    """GFLOPs of ``ours`` over ``theirs`` (cost keys, :func:`cost_key`) as
    the costs study stored them; None if either is missing."""
    gflops = {cost_key(c): c['gflops'] for c in (costs or {}).get('rows', []) if 'gflops' in c}
    if ours not in gflops or theirs not in gflops:
        return None
    return gflops[ours] / gflops[theirs]


# Where a paired difference is not decisive over its rows' own seeds, both
# rows train up to this many (issue 23: "more wherever the paired
# difference is not decisive"); past it, the page says it stays undecided.
MAX_SEEDS = 5
# A paired t-test: at 2 or 3 seeds "two standard errors" rejects a zero
# difference far too often (the standard error rests on 1 or 2 degrees of
# freedom), so the bar is Student's t quantile, 12.7 standard errors at 2
# seeds, 4.3 at 3, 2.8 at 5.
SIGNIFICANCE = 0.05
DECISIVE = (
    'Decisive: a two-sided paired t-test over the seeds rejects a zero difference at the '
    f'{100 * SIGNIFICANCE:g} % level (the mean more than t({1 - SIGNIFICANCE / 2:g}, seeds - 1) '
    "standard errors from 0; standard error: the seeds' differences' standard deviation over "
    'the root of their number). Each pair is tested on its own, uncorrected for the number '
    'of pairs, and an undecided RTMPose pair of randomized rounding and stock trains more '
    'seeds: a pair decided near its bar '
    'is weak evidence. A pair shares its seed, and with it its data order. It starts from '
    "the same weights only where the two rows' models have the same shapes (RTMPose's "
    'pairs at equal s, checked): otherwise building the head draws a different amount '
    "from torch's generator before the backbone is initialised (the heatmap rows: H3R's "
    "two-class head against MMPose's), so the backbones start apart too. Nor does a pair "
    'share all its augmentation draws: the randomized rounding codecs draw their rounding '
    "from numpy's global generator, which MMPose's random transforms draw from too, so "
    'after the first sample the two runs augment differently. Its two runs may come from '
    'different commits and CPU kinds, each named in the run file; one config and seed '
    'repeats exactly on one CPU kind, not necessarily across kinds.'
)


def seeds_to_decide(
    study_rows: list[Row], pairs: list[tuple[Row, Row]], runs: list[dict]
) -> list[Row]:
    """``study_rows`` with the seeds each should train: its own, joined by
    seeds 0 to :data:`MAX_SEEDS` - 1 for both rows of a pair in ``pairs``
    whose paired difference over the rows' own seeds, all stored, is not
    decisive. Judged on the own seeds only, so that the plan does not
    change while the extra seeds train."""
    more = set()
    for a, b in pairs:
        own = set(a.seeds) & set(b.seeds)
        d = paired_difference([r for r in runs if r['seed'] in own], a.keys()[0], b.keys()[0])
        if d is not None and set(d['seeds']) == own and not d['decisive']:
            more |= {a, b}
    return [
        replace(r, seeds=tuple(sorted(set(r.seeds) | set(range(MAX_SEEDS))))) if r in more else r
        for r in study_rows
    ]


def paired_difference(runs: list[dict], key_a: tuple, key_b: tuple, least: int = 2) -> dict | None:
    """Final NME of ``key_a`` minus ``key_b`` (summary keys) over the seeds
    both hold: mean, standard error, the seeds, whether it is decisive
    (:data:`DECISIVE`), and the seeds whose two runs trained on different
    machine kinds (``across_cpus``); None with fewer than ``least`` seeds.
    ``least=1`` lets one common seed through as a difference without a
    spread (``sem`` and ``interval`` None, never decisive), for a pair the
    study trains on one seed only.

    Raises:
        ValueError: ``least`` below 1 (a difference needs a common seed).
    """
    from scipy.stats import t

    if least < 1:
        raise ValueError(f'least={least}: a paired difference needs at least one common seed')
    a = {r['seed']: r for r in runs if summary_key(r) == key_a}
    b = {r['seed']: r for r in runs if summary_key(r) == key_b}
    seeds = sorted(a.keys() & b.keys())
    if len(seeds) < least:
        return None
    d = np.array([a[s]['nme'][-1] - b[s]['nme'][-1] for s in seeds])
    across_cpus = [s for s in seeds if cpu_kind(a[s]) != cpu_kind(b[s])]
    if len(seeds) == 1:
        return dict(
            mean=float(d[0]),
            sem=None,
            seeds=seeds,
            decisive=False,
            interval=None,
            across_cpus=across_cpus,
        )
    mean, sem = float(d.mean()), float(d.std(ddof=1) / np.sqrt(len(d)))
    bar = float(t.ppf(1 - SIGNIFICANCE / 2, len(d) - 1))
    return dict(
        mean=mean,
        sem=sem,
        seeds=seeds,
        # strictly beyond the bar: identical runs (mean 0, error 0) decide nothing
        decisive=abs(mean) > bar * sem,
        # the t-interval at the test's level: an undecided pair bounds the effect by it
        interval=(mean - bar * sem, mean + bar * sem),
        across_cpus=across_cpus,
    )


def cpu_kind(run: dict) -> str:
    """The processors a stored run trained on, from its provenance's
    machine: the CPU with its instruction sets, and the GPU or 'no GPU'
    (not the core count, Python or torch)."""
    fields = [f.strip() for f in run['provenance']['machine'].split(',')]
    return ', '.join(f for f in fields if f == fields[0] or 'GPU' in f)


def across_cpus_note(d: dict) -> str:
    """'' or, where some seeds of the paired difference ``d`` paired runs
    of two CPU kinds, which ones (:data:`DECISIVE` says why it matters)."""
    seeds = d['across_cpus']
    if not seeds:
        return ''
    said = listed([str(s) for s in seeds])
    return f'; seed{"s" if len(seeds) > 1 else ""} {said} paired across CPU kinds'


def paired_digits(d: dict) -> int:
    """Decimals for the figures of a paired difference ``d``: 2, or 3
    where its standard error is under 0.01, which 2 would print as none."""
    return 3 if d['sem'] < 0.01 else 2


def paired_figures(d: dict) -> tuple[str, str]:
    """A paired difference ``d`` (:func:`paired_difference`): its mean
    (signed) and standard error as text, to :func:`paired_digits`."""
    digits = paired_digits(d)
    return f'{d["mean"]:+.{digits}f}', f'{d["sem"]:.{digits}f}'


def paired_verdict(d: dict, more_seeds: bool = True, interval: bool = True) -> str:
    """Whether the paired difference ``d`` is decisive. In a study whose
    undecided pairs train more seeds (``more_seeds``), an undecided pair
    says whether it holds the most it trains (:data:`MAX_SEEDS`); with
    ``interval``, an undecided pair gives the confidence interval that
    bounds its effect (the test's)."""
    if d['decisive']:
        return 'decisive'
    if not more_seeds:
        verdict = 'not decisive'
    elif len(d['seeds']) >= MAX_SEEDS:
        verdict = f'not decisive over {len(d["seeds"])} seeds'
    else:
        verdict = 'not decisive yet'
    if not interval:
        return verdict
    digits = paired_digits(d)
    low, high = d['interval']
    level = f'{100 * (1 - SIGNIFICANCE):g} %'
    return f'{verdict}; {level} interval {low:+.{digits}f} to {high:+.{digits}f}'


def cost_key(entry: dict) -> tuple:
    """A row's key in the costs study: what a model costs depends on its
    backbone, input, heatmap stride and objective, not on how it trained."""
    return entry['arch'], entry['input'], stride_of(entry), entry['row']


def table(summary: list[dict], costs: dict | None = None) -> str:
    """A training study's table: per row its final NME over seeds, the first
    epoch below :data:`NME_GOAL` per seed and, with ``costs``
    (``tools.benchmarks.costs``), what the model costs: parameters, FLOPs,
    latency with decode, throughput against the stock codec."""
    if not summary:
        return 'No row measured yet.'
    cost = {cost_key(c): c for c in (costs or {}).get('rows', [])}
    head = (
        '| backbone | input | objective | final NME % (mean ± half-spread) | seeds | '
        f'first epoch < {NME_GOAL:g} % (per seed) |'
    )
    if cost:
        head += (
            ' params (M) | GFLOPs | latency ms: onnxruntime + host decode | '
            'train img/s vs stock | inference img/s vs stock |'
        )
    lines = [head, '|---' * head.count(' | ') + '|---|']
    for s in summary:
        reached = ', '.join('never' if e is None else str(e) for e in s['first_below_goal'])
        stride = f', stride {s["stride"]}' if stride_of(s) != PAPER_STRIDE else ''
        line = (
            f'| {s["arch"]} | {s["input"]}{stride} | {s["row"]} | {final_nme(s)} | '
            f'{len(s["seeds"])} | {reached} |'
        )
        c = cost.get(cost_key(s))
        if c:
            line += (
                f' {c["params_m"]:.2f} | {c["gflops"]:.3f} | {c["onnxruntime_ms"]:.2f} + '
                f'{c["host_decode_ms"]:.2f} | {c["train_vs_stock"]:.2f} | '
                f'{c["infer_vs_stock"]:.2f} |'
            )
        elif cost:
            line += ' - | - | - | - | - |'
        lines.append(line)
    # an epoch's length differs between studies: say it where "first epoch" is read
    epochs = sorted({iterations(1, s['num_train']) for s in summary})
    lines += [
        '',
        f"An epoch: {' or '.join(map(str, epochs))} iterations of {BATCH} faces (the rows' "
        'faces per epoch, over the batch).',
    ]
    if cost:
        lines += [
            '',
            'Params, GFLOPs, latency and throughput: measured as [costs](#costs) says, which '
            'also gives their noise. Randomized rounding decodes inside the exported graph, so '
            'its host decode is 0.',
        ]
    return '\n'.join(lines)
