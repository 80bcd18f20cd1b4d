"""RTMPose's flip test at each split ratio: the section and the RTMPose
study's sentence quote the stored tests' means and paired differences, and
a row the study does not have is refused before anything runs."""

import pytest

from tools.benchmarks import flip_test, rows, rtmpose

from ..helpers import assert_study_refuses


def entry(row: str, seed: int, flip: float, plain: float) -> dict:
    return dict(
        study='rtmpose',
        arch='rtmpose-t',
        row=row,
        input=128,
        seed=seed,
        weights=None,
        stored_nme=flip,
        flip_nme=flip,
        plain_nme=plain,
        provenance=dict(
            date='2026-12-05',
            machine='Test CPU (x86_64 AVX2)',
            commit='abc1234',
            command=rows.measuring_command('flip_test', f'rtmpose-t 128 {row}', seed),
        ),
    )


RUNS = [
    entry('SimCCLabel s=0.5', 0, 2.0, 1.9),
    entry('SimCCLabel s=0.5', 1, 2.2, 2.0),
    entry('RR s=0.5', 1, 1.4, 1.5),
    entry('RR s=0.5', 0, 1.2, 1.3),
]


def test_the_table_gives_means_and_paired_differences_per_row():
    text = flip_test.table(RUNS)
    assert '| SimCCLabel s=0.5 | 128 | 0, 1 | 2.100 | 1.950 | +0.150 |' in text
    assert '| RR s=0.5 | 128 | 0, 1 | 1.300 | 1.400 | -0.100 |' in text


def test_the_section_says_whether_it_reproduced_the_stored_nme():
    page = flip_test.section(dict(runs=RUNS), {})
    assert 'this test reproduces each run' in page
    off = [dict(RUNS[0], stored_nme=2.5), *RUNS[1:]]
    assert 'does not reproduce' in flip_test.section(dict(runs=off), {})
    # the weights were not recorded in the fixture: the page says so
    assert 'Measured on weights that their study has retrained since' in page


def test_the_rtmpose_section_quotes_the_flip_test():
    sentence = rtmpose.flip_test_sentence({'flip_test': dict(runs=RUNS)})
    assert 'RR s=0.5 1.30 with it, 1.40 without (seeds 0, 1)' in sentence
    assert 'SimCCLabel s=0.5 2.10 with it, 1.95 without (seeds 0, 1)' in sentence
    assert (
        'RR s=0.5 minus SimCCLabel s=0.5, paired over their seeds: -0.55 points without flip '
        'test, -0.80 with it.'
    ) in sentence
    assert rtmpose.flip_test_sentence({}) == ''


def test_a_row_the_study_lacks_is_refused_and_nothing_is_written(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr('sys.argv', ['flip_test', '--rows', 'rtmpose-t 128 RR s=3'])
    assert_study_refuses(flip_test.main, "invalid choice: 'rtmpose-t 128 RR s=3'", tmp_path, capsys)


def test_the_paired_gap_uses_the_seeds_both_rows_have():
    runs = [*RUNS, entry('RR s=0.5', 2, 1.0, 1.0)]
    assert flip_test.paired_gap(runs, 'RR s=0.5', 'SimCCLabel s=0.5', 128, 'flip_nme') == (
        pytest.approx(-0.8)
    )
    assert flip_test.paired_gap(runs, 'RR s=0.5', 'SimCCLabel s=0.5', 64, 'flip_nme') is None


def test_the_ideal_offsets_come_from_the_quantization_study():
    def row(codec: str, stride: int, bias: float) -> dict:
        return dict(codec=codec, stride=stride, bias_x=bias)

    rows_ = [row(flip_test.IDEAL['SimCCLabel'], s, b) for s, b in ((4, 0.0), (8, 0.0), (16, -0.99))]
    rows_ += [row(flip_test.IDEAL['RR'], s, 0.0) for s in (4, 8, 16)]
    results = {'quantization': dict(rows=rows_)}
    assert flip_test.ideal_offset(results, 'SimCCLabel', 0.5) == -0.99
    assert '`SimCCLabel`, +0.00 px at s = 2, +0.00 px at s = 1, -0.99 px at s = 0.5' in (
        flip_test.ideal_offsets(results)
    )
    assert flip_test.ideal_offsets({}) == ''
    assert "moves SimCCLabel's ideal prediction -0.99 px at s = 0.5" in rtmpose.flip_test_sentence(
        {**results, 'flip_test': dict(runs=RUNS)}
    )


@pytest.mark.usefixtures('one_torch_thread')
def test_the_test_toggles_the_flip_test_and_puts_the_config_back(tiny_faces, tmp_path):
    """On an untrained RTMPose-t: flip test on and off give different NMEs,
    and the head's test config is as it was afterwards, also when the test
    step fails."""
    from mmengine.registry import init_default_scope
    from mmpose.registry import MODELS

    init_default_scope('mmpose')
    row = rtmpose.named('rtmpose-t 128 SimCCLabel s=0.5').row
    cfg = rows.row_config(row, 0, tiny_faces, tmp_path)
    model = MODELS.build(cfg.model).eval()
    before = dict(model.test_cfg)
    flip, plain = flip_test.test_nme(model, cfg, True), flip_test.test_nme(model, cfg, False)
    assert flip != plain
    assert dict(model.test_cfg) == before

    def fails(batch):
        raise RuntimeError('boom')

    model.test_step = fails
    with pytest.raises(RuntimeError, match='boom'):
        flip_test.test_nme(model, cfg, False)
    assert dict(model.test_cfg) == before
