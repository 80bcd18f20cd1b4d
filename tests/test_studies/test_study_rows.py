"""The studies' shared rows (tools/benchmarks/rows.py): the configs they
build train and predict, the schedule scales as it says, and the summaries
compute what the published tables show."""

from dataclasses import replace

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner, set_random_seed
from mmpose.registry import MODELS

from tools.benchmarks import resolution, rows, rtmpose, study
from tools.benchmarks.rows import Row


def run(arch='mobilenetv2', row='two-class spatial', seed=0, nme=(9.0, 5.0, 4.0), **extra):
    return dict(
        arch=arch,
        input=128,
        row=row,
        seed=seed,
        epochs=len(nme),
        nme=list(nme),
        provenance=dict(date='2026-12-04', machine='AMD EPYC (x86_64 AVX2), 2 cores, no GPU'),
        **extra,
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    'row',
    [
        Row('mobilenetv2', 'two-class spatial', 64, (0,), 1, stride=8),
        Row('mobilenetv2', 'MSRA', 64, (0,), 1, stride=16),
        Row('mobilenetv2', 'DARK', 64, (0,), 1, stride=8),
        Row('mobilenetv2', 'UDP', 64, (0,), 1),
    ],
    ids=lambda r: r.name,
)
def test_a_stride_pooled_or_udp_row_trains_and_predicts(row, tiny_faces, tmp_path):
    cfg = rows.row_config(row, 0, tiny_faces, tmp_path)
    heatmap = 64 // row.stride
    assert cfg.codec['heatmap_size'] == (heatmap, heatmap)
    runner = Runner.from_cfg(cfg)
    runner.train()
    batch = next(iter(runner.val_dataloader))
    runner.model.eval()
    (sample, *_) = runner.model.test_step(batch)
    assert sample.pred_instances.keypoints.shape == (1, 68, 2)
    if row.objective == 'UDP':
        assert all(s.use_udp for s in study.pipelines(cfg)[0] if s.type == 'TopdownAffine')
        assert cfg.model.test_cfg.shift_heatmap is False


def test_scale_schedule_keeps_each_share():
    """Warm-up: its share of the iterations; steps, cosine span, the
    pipeline switch: their share of the epochs; EMA: its momentum decay's
    share of the iterations; the batch-size lr scaling stays off."""
    cfg = Config(
        dict(
            train_cfg=dict(max_epochs=60),
            param_scheduler=[
                dict(type='LinearLR', begin=0, end=1000, by_epoch=False),
                dict(type='MultiStepLR', begin=0, end=60, milestones=[40, 55]),
                dict(type='CosineAnnealingLR', begin=30, end=60, T_max=30),
            ],
            custom_hooks=[
                dict(type='EMAHook', ema_type='ExpMomentumEMA', gamma=2000),
                dict(type='mmdet.PipelineSwitchHook', switch_epoch=50),
            ],
        )
    )
    study.scale_schedule(
        cfg, epochs=20, iterations_per_epoch=15, warmup_share=0.1, full_iterations=900
    )
    warmup, steps, cosine = cfg.param_scheduler
    assert warmup['end'] == 30 and steps['milestones'] == [13, 18] and steps['end'] == 20
    assert (cosine['begin'], cosine['end'], cosine['T_max']) == (10, 20, 10)
    ema, switch = cfg.custom_hooks
    assert ema.gamma == pytest.approx(2000 * 300 / 900) and switch.switch_epoch == 17
    assert cfg.train_cfg == dict(by_epoch=True, max_epochs=20, val_interval=1)
    assert cfg.auto_scale_lr == dict(enable=False)


def test_summaries_group_seeds_and_keep_older_runs():
    row = Row('mobilenetv2', 'two-class spatial', 128, (0, 1), 3)
    runs = [
        run(seed=0, nme=(9.0, 6.0, 4.0), stride=4, num_train=240),
        run(seed=1, nme=(8.0, 4.0, 2.0)),  # stored before strides and faces were recorded
        run(seed=0, nme=(9.0, 6.0, 4.0), num_train=960),  # another budget: another row
    ]
    (s,) = rows.summarise(runs, [row])
    assert s['seeds'] == [0, 1] and s['finals'] == [4.0, 2.0]
    assert s['final_mean'] == 3.0 and s['final_half_spread'] == 1.0
    assert s['first_below_goal'] == [3, 2] and s['curve_mean'] == [8.5, 5.0, 3.0]
    assert s['last_fifth_change'] == pytest.approx(2 / 3)  # from 5.0 (epoch 2) to 3.0
    assert rows.run_key(runs[0]) != rows.run_key(runs[2])


def test_a_section_names_the_rows_and_seeds_still_to_run():
    done = Row('mobilenetv2', 'two-class spatial', 128, (0, 1), 3)
    half = Row('mobilenetv2', 'MSRA', 128, (0, 1), 3)  # and its DARK re-decode
    runs = [run(seed=s, nme=(3.0, 2.0, 1.0)) for s in (0, 1)]
    runs += [run(row=name, seed=0, nme=(3.0, 2.0, 1.0)) for name in ('MSRA', rows.DARK)]
    text = rows.still_to_run([done, half], runs)
    assert text.endswith(': `mobilenetv2 128 MSRA` (seed 1).')
    assert rows.still_to_run([done], runs) == '' and rows.paragraph('') == []
    runs.append(run(row='MSRA', seed=1, nme=(3.0, 2.0, 1.0)))  # no DARK entry: not whole
    assert '`mobilenetv2 128 MSRA` (seed 1)' in rows.still_to_run([half], runs)


def test_paired_differences_need_two_common_seeds():
    ours = ('mobilenetv2', 128, 4, 'two-class spatial', 3, 240, None)
    theirs = ('mobilenetv2', 128, 4, 'MSRA', 3, 240, None)
    runs = [run(seed=s, nme=(1, 1, a)) for s, a in ((0, 2.0), (1, 3.0), (2, 1.0))]
    runs += [run(row='MSRA', seed=s, nme=(1, 1, b)) for s, b in ((0, 3.0), (1, 5.0))]
    d = rows.paired_difference(runs, ours, theirs)
    # 1.5 is 3 standard errors (0.5) from 0: past 2, short of t's 12.7 at one degree of freedom
    assert d['seeds'] == [0, 1] and d['mean'] == -1.5 and not d['decisive']
    assert d['sem'] == pytest.approx(np.std([-1.0, -2.0], ddof=1) / np.sqrt(2))
    assert rows.paired_difference(runs[:1] + runs[3:4], ours, theirs) is None


def test_one_common_seed_gives_a_difference_without_a_spread_only_when_asked():
    """A study that trains a pair on one seed (resolution's HRNet-W18 256)
    lists its difference; it has no standard error and decides nothing."""
    ours = ('mobilenetv2', 128, 4, 'two-class spatial', 3, 240, None)
    theirs = ('mobilenetv2', 128, 4, 'DARK', 3, 240, None)
    runs = [run(seed=0, nme=(1, 1, 0.86)), run(seed=1, nme=(1, 1, 0.9))]
    runs += [run(row='DARK', seed=0, nme=(1, 1, 0.83))]
    runs[-1]['provenance'] = dict(
        date='2026-12-04', machine='Xeon (x86_64 AVX-512), 2 cores, no GPU'
    )
    assert rows.paired_difference(runs, ours, theirs) is None
    d = rows.paired_difference(runs, ours, theirs, least=1)
    assert d['mean'] == pytest.approx(0.03) and d['seeds'] == [0]
    assert d['sem'] is None and d['interval'] is None and not d['decisive']
    assert d['across_cpus'] == [0]
    assert rows.paired_difference(runs[1:], ours, theirs, least=1) is None  # no common seed
    with pytest.raises(ValueError, match='at least one common seed'):
        rows.paired_difference(runs, ours, theirs, least=0)


def test_a_pair_starts_from_the_same_weights_only_where_its_models_match(tmp_path):
    """What the pages' paired-seed note says: RTMPose's RR and stock rows at
    equal s build the same initial weights from one seed; the heatmap rows'
    heads differ in shape, which moves the backbone's initialisation too."""

    def initial(study_module, name: str) -> dict:
        row = next(r for r in study_module.ROWS if r.name == name)
        cfg = rows.row_config(row, 0, tmp_path / 'faces', tmp_path / 'work')
        set_random_seed(0)
        model = MODELS.build(cfg.model)
        model.init_weights()
        return model.state_dict()

    a = initial(rtmpose, 'rtmpose-t 128 SimCCLabel s=2')
    b = initial(rtmpose, 'rtmpose-t 128 RR s=2')
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    c = initial(resolution, 'mobilenetv2 128 two-class spatial')
    d = initial(resolution, 'mobilenetv2 128 MSRA')
    assert not all(torch.equal(c[k], d[k]) for k in c if k.startswith('backbone.') and k in d)


def test_the_pareto_front_keeps_what_nothing_beats():
    points = [(1.0, 5.0), (2.0, 3.0), (2.0, 4.0), (4.0, 3.0), (8.0, 1.0)]
    assert resolution.pareto(points) == [True, True, False, False, True]


def test_a_row_refuses_an_unknown_objective_or_stride(tiny_faces, tmp_path):
    with pytest.raises(ValueError, match='no objective'):
        Row('mobilenetv2', 'SimCCLabel s=2', 128)
    with pytest.raises(ValueError, match='stride must be'):
        rows.row_config(Row('mobilenetv2', 'MSRA', 128, stride=3), 0, tiny_faces, tmp_path)
    with pytest.raises(ValueError, match='pipeline must be'):
        rows.RTMPoseRecipe(pipeline='heavy')
    with pytest.raises(ValueError, match='decay_end must lie'):
        rows.RTMPoseRecipe(decay_end=0.4)


def test_an_rtmpose_run_of_another_recipe_is_another_rows():
    """A run counts for a row only under the row's recipe; a run stored
    before a recipe field existed trained with MMPose's value of it."""
    recipe = rows.RTMPoseRecipe(1e-3, 0.05, 'stage2', 960)
    row = Row('rtmpose-t', 'SimCCLabel s=2', 128, (0,), 3, recipe=recipe)
    stored = dict(lr=1e-3, warmup_share=0.05, pipeline='stage2', num_train=960)
    older = run('rtmpose-t', 'SimCCLabel s=2', num_train=960, recipe=stored)
    other = run('rtmpose-t', 'SimCCLabel s=2', num_train=960, recipe=dict(stored, decay_end=0.8))
    (s,) = rows.summarise([older, other], [row])
    assert s['finals'] == [4.0] and s['recipe'] == dict(stored, decay_end=None)
    assert rows.summary_key_of(s) == rows.summary_key(older) != rows.summary_key(other)
    heatmap_row = Row('mobilenetv2', 'two-class spatial', 128, (0,), 3)
    assert 'recipe' not in rows.summarise([run()], [heatmap_row])[0]


def test_a_schedule_too_short_for_its_cosine_decay_is_refused():
    cfg = Config(
        dict(
            train_cfg=dict(max_epochs=60),
            param_scheduler=[dict(type='CosineAnnealingLR', begin=30, end=31, T_max=1)],
        )
    )
    with pytest.raises(ValueError, match='the cosine decay vanishes at 10 epochs'):
        study.scale_schedule(cfg, 10, 15, 0.05, 900)


def test_a_recipe_can_end_its_cosine_decay_early():
    """decay_end moves the cosine's end to its share of the epochs, which
    the scaled schedule keeps, and the floor rate holds after it."""
    recipe = rows.RTMPoseRecipe(1e-3, 0.05, 'stage2', 960, decay_end=0.8)
    cfg = rows.rtmpose_config('SimCCLabel s=2', 128)
    recipe.apply(cfg)
    study.scale_schedule(cfg, 20, 60, 0.05, rows.FULL_ITERATIONS)
    (cosine,) = (s for s in cfg.param_scheduler if s['type'] == 'CosineAnnealingLR')
    assert (cosine['begin'], cosine['end'], cosine['T_max']) == (10, 16, 6)
    assert cosine['eta_min'] == pytest.approx(5e-5)


def test_the_trained_model_studies_measure_converged_rows_by_name():
    from tools.benchmarks import edge, rtmpose, video

    for trained in (*edge.MODELS, *video.MODELS):
        assert trained.study in ('resolution', 'rtmpose')
        assert trained.row.epochs == {'resolution': 60, 'rtmpose': rtmpose.EPOCHS}[trained.study]
    assert rtmpose.named('rtmpose-t 64 RR s=1').row.num_train == rtmpose.RECIPE.num_train
    with pytest.raises(KeyError, match="resolution has no row 'mobilenetv2 96 MSRA'"):
        resolution.named('mobilenetv2 96 MSRA')


def test_a_run_of_another_recipe_trains_in_its_own_work_dir():
    recipe = rows.RTMPoseRecipe(1e-3, 0.05, 'stage2', 960)
    a = Row('rtmpose-t', 'SimCCLabel s=2', 128, (0,), 60, recipe=recipe)
    b = Row('rtmpose-t', 'SimCCLabel s=2', 128, (0,), 60, recipe=replace(recipe, decay_end=0.8))
    assert a.work_dir('rtmpose', 0) != b.work_dir('rtmpose', 0)
    assert b.work_dir('rtmpose', 0).name.endswith('-lr0.001-warmup0.05-stage2-decay0.8-seed0')


def test_a_trained_model_must_be_the_checkpoint_its_study_stored(monkeypatch, tmp_path):
    """The studies that measure trained models (edge, video) refuse a
    checkpoint whose digest is not the stored run's, and load nothing."""
    row = Row('mobilenetv2', 'two-class spatial', 64, (0,), 2)
    monkeypatch.setattr(study, 'WORK', tmp_path)
    checkpoint = row.work_dir('resolution', 0) / 'epoch_2.pth'
    checkpoint.parent.mkdir(parents=True)
    checkpoint.write_bytes(b'weights of another run')
    stored = dict(runs=[run(row='two-class spatial', nme=(9.0, 4.0), checkpoint_sha256='0' * 16)])
    stored['runs'][0]['input'] = 64
    monkeypatch.setattr(study, 'load', lambda name: stored)
    with pytest.raises(RuntimeError, match='is not the checkpoint of the run resolution stores'):
        rows.trained_model('resolution', row)
    monkeypatch.setattr(study, 'load', lambda name: dict(runs=[]))  # a checkpoint, no run
    with pytest.raises(RuntimeError, match='is no run that resolution stores'):
        rows.trained_model('resolution', row)
    assert checkpoint.read_bytes() == b'weights of another run'
    assert len(rows.checkpoint_digest(checkpoint)) == 16


def test_a_missing_checkpoint_is_trained_under_its_own_studys_command(monkeypatch, tmp_path):
    """A study measuring trained models (``video``, ``edge``) on a fresh
    clone trains the run it lacks into the run's own study, recorded under
    that study's command for the run: the command that reproduces it."""
    row = Row('mobilenetv2', 'two-class spatial', 64, (0,), 2)
    monkeypatch.setattr(study, 'WORK', tmp_path)
    asked = []

    def train(study_name, chosen, seeds, rerun, command=None):
        asked.append((study_name, [r.name for r in chosen], seeds, rerun, command))
        raise InterruptedError  # stands in for hours of training

    monkeypatch.setattr(rows, 'train', train)
    with pytest.raises(InterruptedError):
        rows.trained_model('resolution', row, seed=1)
    command = (
        "python -m tools.benchmarks.resolution --rows 'mobilenetv2 64 two-class spatial' "
        '--seeds 1 --rerun'
    )
    assert asked == [('resolution', [row.name], (1,), True, command)]
    assert rows.own_command('resolution', row, 1) == command
    # a checkpoint whose run was stored before digests cannot be checked: retrained too
    checkpoint = row.work_dir('resolution', 1) / 'epoch_2.pth'
    checkpoint.parent.mkdir(parents=True)
    checkpoint.write_bytes(b'weights')
    stored = run(row='two-class spatial', nme=(9.0, 4.0)) | dict(input=64, seed=1)
    monkeypatch.setattr(study, 'load', lambda name: dict(runs=[stored]))
    with pytest.raises(InterruptedError):
        rows.trained_model('resolution', row, seed=1)
    assert len(asked) == 2


@pytest.mark.parametrize(
    'row',
    [
        Row('rtmpose-t', 'SimCCLabel s=2', 128, (0,), 3, recipe=rows.RTMPoseRecipe(1e-3)),
        Row('mobilenetv2', 'MSRA', 128, (0,), 3),
    ],
    ids=lambda r: r.name,
)
def test_the_config_a_row_dumps_says_only_what_trained(row, tiny_faces, tmp_path):
    """The shipped configs' authoring variables (randomized rounding's
    ``train_pipeline``, 60 ``max_epochs``, MMPose's ``base_lr``) would
    contradict a stock row's dumped config; the study drops them."""
    cfg = rows.row_config(row, 0, tiny_faces, tmp_path)
    cfg.dump(str(tmp_path / 'dumped.py'))
    dumped = Config.fromfile(tmp_path / 'dumped.py')
    assert not set(study.AUTHORING_VARIABLES) & set(dumped.keys())
    assert 'RandomizedRounding' not in (tmp_path / 'dumped.py').read_text()
    assert dumped.train_cfg.max_epochs == 3


def test_a_dark_row_trains_as_mmposes_dark_configs_and_msra_does_not(tiny_faces, tmp_path):
    """DARK encodes unbiased targets and decodes with DARK, in training as
    in test (MMPose's DARK configs); MSRA's weights learn integer-centred
    targets, and only its 'MSRA + DARK' re-decoding uses DARK."""
    dark = rows.row_config(Row('mobilenetv2', 'DARK', 64, (0,), 1), 0, tiny_faces, tmp_path)
    msra = rows.row_config(Row('mobilenetv2', 'MSRA', 64, (0,), 1), 0, tiny_faces, tmp_path)
    assert dark.codec['unbiased'] is True and dark.model.head.decoder['unbiased'] is True
    (target,) = [s for s in dark.train_dataloader.dataset.pipeline if s.type == 'GenerateTarget']
    assert target.encoder['unbiased'] is True
    assert msra.codec['unbiased'] is False and msra.model.head.decoder['unbiased'] is False
    assert rows.redecoder(Row('mobilenetv2', 'MSRA', 64), rows.DARK)['unbiased'] is True
    assert Row('mobilenetv2', 'DARK', 64).redecoded == ()
