"""Decoding's top-k on trained models: each decoding is MMPose's own test
with the codec rebuilt at that k, the head is left as it was, a test that
does not reproduce the stored NME stores nothing, and the section quotes
the stored means and paired differences."""

import contextlib
import functools

import pytest

from tools.benchmarks import resolution, rows, topk

from ..helpers import assert_study_refuses

NAME = 'mobilenetv2 64 two-class spatial'


def entry(size: int, seed: int, shipped: float, step: float) -> dict:
    """A stored test whose NMEs lie ``step`` apart, in the table's order of
    k, around the shipped k's."""
    at = topk.TOPK.index(topk.SHIPPED)
    return dict(
        study='resolution',
        arch='mobilenetv2',
        row=resolution.RR,
        input=size,
        cells=(size // 4) ** 2,
        seed=seed,
        weights=None,
        stored_nme=shipped,
        decoded=[dict(topk=k, nme=shipped + (i - at) * step) for i, k in enumerate(topk.TOPK)],
        provenance=dict(
            date='2026-12-06',
            machine='Test CPU (x86_64 AVX2)',
            commit='abc1234',
            command=rows.measuring_command('topk', f'mobilenetv2 {size} two-class spatial', seed),
        ),
    )


RUNS = [entry(64, 1, 3.0, 0.5), entry(64, 2, 3.2, 0.3), entry(128, 1, 1.8, 0.1)]


def test_the_table_gives_each_ks_mean_and_its_paired_difference_from_the_shipped_k():
    text = topk.table(RUNS)
    header = text.splitlines()[0]
    assert header.endswith('| k = 1 | k = 4 | k = 9 | k = 25 | every cell |')
    # 64 input, two seeds: k = 1 lies 2 steps below the shipped k = 9 (0.5 and 0.3)
    assert '| mobilenetv2 | 64 | 16x16 | 1, 2 | 2.30 (-0.80) | 2.70 (-0.40) | 3.10 |' in text
    assert '| mobilenetv2 | 128 | 32x32 | 1 | 1.60 (-0.20) |' in text


def test_the_section_says_whether_the_shipped_k_reproduced_the_stored_nme():
    page = topk.section(dict(runs=RUNS), {})
    assert page.startswith(f'## {topk.TITLE}\n')
    assert 'reproduces each run' in page
    off = [dict(RUNS[0], stored_nme=2.5), *RUNS[1:]]
    assert 'does not reproduce' in topk.section(dict(runs=off), {})
    # the weights were not recorded in the fixture: the page says so
    assert 'Measured on weights that their study has retrained since' in page


def test_a_row_the_study_lacks_is_refused_and_nothing_is_written(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr('sys.argv', ['topk', '--rows', 'mobilenetv2 64 MSRA'])
    assert_study_refuses(topk.main, "invalid choice: 'mobilenetv2 64 MSRA'", tmp_path, capsys)


@pytest.fixture
def untrained(tiny_faces, tmp_path, monkeypatch):
    """The 64-input randomized-rounding row, untrained, standing in for its
    stored run (``rows.trained_model``) on the tiny faces."""
    from mmengine.registry import init_default_scope
    from mmpose.registry import MODELS

    init_default_scope('mmpose')
    cfg = rows.row_config(resolution.named(NAME).row, 0, tiny_faces, tmp_path / 'work')
    model = MODELS.build(cfg.model).eval()
    monkeypatch.setattr(rows, 'trained_model', lambda *_: (model, cfg, None))
    monkeypatch.chdir(tmp_path)
    return model, cfg


def mmpose_test(model, cfg) -> float:
    """The reference: NME (%) by MMEngine's test dataloader, MMPose's
    ``test_step`` and its ``NME`` metric, as a test loop runs them."""
    from mmengine.evaluator import Evaluator
    from mmengine.runner import Runner

    loader = Runner.build_dataloader(
        dict(cfg.test_dataloader, num_workers=0, persistent_workers=False)
    )
    (nme,) = [m for m in cfg.test_evaluator if m['type'] == 'NME']
    evaluator = Evaluator(nme)
    evaluator.dataset_meta = loader.dataset.metainfo
    for batch in loader:
        evaluator.process(data_samples=model.test_step(batch), data_batch=batch)
    return 100 * evaluator.evaluate(len(loader.dataset))['NME']


@contextlib.contextmanager
def flip_test(model, on: bool):
    before = model.test_cfg['flip_test']
    model.test_cfg['flip_test'] = on
    try:
        yield
    finally:
        model.test_cfg['flip_test'] = before


@pytest.mark.usefixtures('one_torch_thread')
def test_each_k_is_tested_on_one_backbone_pass_and_the_model_is_put_back(untrained):
    """``rows.test_nmes`` gets, at every k, the NME of MMPose's test with
    that k alone, while the backbone runs once per batch (plain and
    flipped); the head's decoder is the model's own again after, and so is
    ``extract_feat``, a caller's own patch of it included."""
    import torch

    model, cfg = untrained
    head = model.head
    before = head.decoder
    alone = {}
    with torch.no_grad():
        for k in topk.TOPK:
            with topk.decoding(model, cfg, k):
                if k == topk.ALL:
                    assert head.decoder.topk == 16 * 16
                alone[k] = mmpose_test(model, cfg)
    assert head.decoder is before
    assert len(set(alone.values())) == len(topk.TOPK)  # each k decodes its own way

    passes = []
    model.backbone.register_forward_hook(lambda *_: passes.append(1))
    decodings = {k: functools.partial(topk.decoding, model, cfg, k) for k in topk.TOPK}
    assert rows.test_nmes(model, cfg, decodings) == pytest.approx(alone, rel=0, abs=1e-9)
    assert len(passes) == 2  # the 8 test faces are one batch: plain and flipped, once
    assert head.decoder is before
    assert 'extract_feat' not in vars(model)

    patched = model.extract_feat
    model.extract_feat = patched
    assert rows.test_nme(model, cfg) == pytest.approx(alone[topk.SHIPPED], rel=0, abs=1e-9)
    assert vars(model)['extract_feat'] is patched


@pytest.mark.usefixtures('one_torch_thread')
def test_a_failing_decoding_leaves_the_model_as_it_was(untrained):
    model, cfg = untrained
    before = model.head.decoder

    @contextlib.contextmanager
    def fails():
        raise RuntimeError('boom')
        yield

    decodings = {k: functools.partial(topk.decoding, model, cfg, k) for k in (1, 4)}
    for broken in ({'first': fails, **decodings}, {**decodings, 'last': fails}):
        with pytest.raises(RuntimeError, match='boom'):
            rows.test_nmes(model, cfg, broken)
        assert model.head.decoder is before
        assert 'extract_feat' not in vars(model)
    with pytest.raises(ValueError, match='at least one decoding'):
        rows.test_nmes(model, cfg, {})


@pytest.mark.usefixtures('one_torch_thread')
def test_a_decoding_that_asks_for_other_features_is_refused(untrained):
    """Features are given again only for the inputs they were computed on:
    a decoding whose test step changes the inputs, or asks for more
    features than the first (flip test on after it was off), is an error,
    not a silent reuse."""
    model, cfg = untrained
    preprocess = model.data_preprocessor.forward

    @contextlib.contextmanager
    def brighter():
        model.data_preprocessor.forward = lambda data, training: dict(
            preprocess(data, training), inputs=preprocess(data, training)['inputs'] + 1
        )
        try:
            yield
        finally:
            del model.data_preprocessor.forward

    refused = 'features the first did not compute'
    with pytest.raises(RuntimeError, match=refused):
        rows.test_nmes(model, cfg, {'as is': contextlib.nullcontext, 'brighter': brighter})
    with pytest.raises(RuntimeError, match=refused):
        rows.test_nmes(
            model,
            cfg,
            {'plain': lambda: flip_test(model, False), 'flipped': lambda: flip_test(model, True)},
        )
    assert 'extract_feat' not in vars(model)
    assert model.test_cfg['flip_test']


def test_h3rs_literal_decoder_decodes_these_rows_as_the_log_probabilities_do(untrained):
    """What the section says: the raw keypoint logits and the two-class
    spatial loss's log-probabilities differ by one constant per map, which
    the top-k softmax cancels; at every k of the study."""
    import torch
    from mmpose.registry import KEYPOINT_CODECS

    model, cfg = untrained
    loss = model.head.loss_module
    outputs = 3 * torch.randn(2, 2 * 68, 16, 16, generator=torch.Generator().manual_seed(0))
    for k in (1, 4, 9, 25, 16 * 16):
        codec = KEYPOINT_CODECS.build(dict(cfg.model.head.decoder, topk=k))
        from_log_probs, _ = codec.decode_tensor(loss.log_probs(outputs), calibrated=False)
        from_logits, _ = codec.decode_tensor(loss.keypoint_logits(outputs), calibrated=False)
        torch.testing.assert_close(from_logits, from_log_probs, rtol=0, atol=1e-4)


@pytest.mark.usefixtures('one_torch_thread')
def test_a_test_that_does_not_reproduce_the_stored_nme_stores_nothing(untrained, monkeypatch):
    model, cfg = untrained
    shipped = rows.test_nme(model, cfg)
    monkeypatch.setattr(rows, 'stored_run_of', lambda *_: dict(nme=[shipped + 0.5]))
    with pytest.raises(RuntimeError, match="not the study's own test"):
        topk.run([NAME], (0,))
    assert topk.study.load('topk') is None

    monkeypatch.setattr(rows, 'stored_run_of', lambda *_: dict(nme=[shipped]))
    (stored,) = topk.run([NAME], (0,))['runs']
    assert [d['topk'] for d in stored['decoded']] == list(topk.TOPK)
    assert stored['cells'] == 16 * 16
    assert stored['provenance']['command'] == (
        "python -m tools.benchmarks.topk --rows 'mobilenetv2 64 two-class spatial' --seeds 0"
    )
