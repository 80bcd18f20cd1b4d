"""Where MMPose 1.3.2 places its Gaussian targets: its own encoders, fed
keypoints whose cell is known, move those less than 4.5 cells from the left
or top border by one cell at sigma 1.5, and the study counts exactly those;
its section and the resolution and README sentences quote the stored
shares."""

import numpy as np
import pytest
from mmpose.codecs import MSRAHeatmap, UDPHeatmap

from tools.benchmarks import render, resolution, study, target_placement

from ..helpers import assert_study_refuses

INPUT, HEATMAP = 64, 16


def sample(points: list[tuple[float, float]], visible: list[float] | None = None) -> dict:
    keypoints = np.array([points], dtype=np.float32)
    return dict(
        transformed_keypoints=keypoints,
        keypoints_visible=np.array([visible or [1.0] * len(points)], dtype=np.float32),
    )


def msra(unbiased: bool = False) -> MSRAHeatmap:
    return MSRAHeatmap((INPUT, INPUT), (HEATMAP, HEATMAP), sigma=1.5, unbiased=unbiased)


def test_mmpose_moves_the_targets_near_the_left_and_top_border_by_one_cell():
    """Cells 0 to 4 on x or y (4.5 cells = 3 sigma) move; cell 5 and the
    bottom-right corner stay; the unbiased encoder moves none."""
    stride = INPUT / HEATMAP
    cells = [(0, 10), (4, 10), (5, 10), (10, 3), (10, 10), (15, 15)]
    points = [(x * stride, y * stride) for x, y in cells]
    encoded = msra().encode(sample(points)['transformed_keypoints'])
    peaks = target_placement.peak_cells(encoded['heatmaps'])
    assert peaks.tolist() == [[1, 10], [5, 10], [5, 10], [10, 4], [10, 10], [15, 15]]
    assert target_placement.count_moved(msra(), [sample(points)], HEATMAP) == (6, 3)
    unbiased = msra(unbiased=True)
    assert target_placement.count_moved(unbiased, [sample(points)], HEATMAP) == (
        6,
        0,
    )


def test_a_whole_window_radius_moves_nothing():
    """At sigma 2 (WFLW's configs) the radius, 6 cells, is whole: no
    keypoint moves, at any cell."""
    stride = INPUT / HEATMAP
    points = [(x * stride, 10 * stride) for x in range(HEATMAP)]
    whole = MSRAHeatmap((INPUT, INPUT), (HEATMAP, HEATMAP), sigma=2)
    assert target_placement.count_moved(whole, [sample(points)], HEATMAP) == (HEATMAP, 0)


def test_udp_cells_use_udps_own_scaling():
    """UDP maps input px by (heatmap - 1) / (input - 1): cell 2 is at
    2 * 63 / 15 input px, and MMPose moves it too."""
    udp = UDPHeatmap((INPUT, INPUT), (HEATMAP, HEATMAP), sigma=1.5)
    scale = (INPUT - 1) / (HEATMAP - 1)
    points = [(2 * scale, 10 * scale), (10 * scale, 10 * scale)]
    assert target_placement.own_cells(np.array(points, np.float32), udp).tolist() == [
        [2, 10],
        [10, 10],
    ]
    assert target_placement.count_moved(udp, [sample(points)], HEATMAP) == (2, 1)


def test_invisible_keypoints_and_those_off_the_map_are_not_counted():
    points = [(8.0, 40.0), (8.0, 40.0), (-20.0, 40.0), (40.0, 40.0)]
    counted = target_placement.count_moved(msra(), [sample(points, [1.0, 0.0, 1.0, 1.0])], HEATMAP)
    assert counted == (2, 1)


STORED = dict(
    epochs=3,
    sigma_cells=1.5,
    mmpose='1.3.2',
    rows=[
        dict(input=size, stride=stride, heatmap=size // stride, objective=o, targets=100,
             moved=moved, share=moved / 100)
        for size, stride, shares in (
            (64, 4, dict(MSRA=31, UDP=35, DARK=0)),
            (128, 4, dict(MSRA=8, UDP=9, DARK=0)),
        )
        for o, moved in shares.items()
    ],
)  # fmt: skip


def test_the_section_and_the_sentences_quote_the_stored_shares():
    page = target_placement.section(STORED, {})
    assert '| 64 | 4 (16²) | 31.0 % | 35.0 % | 0.0 % |' in page
    assert '| 128 | 4 (32²) | 8.0 % | 9.0 % | 0.0 % |' in page
    sentence = resolution.placement_sentence({'target_placement': STORED})
    assert '64 input: MSRA 31 %, UDP 35 %; 128 input: MSRA 8 %, UDP 9 %' in sentence
    assert resolution.placement_sentence({}) == ''
    caveat = render.placement_caveat({'target_placement': STORED})
    assert '(MSRA: 31 % at 64 input, 8 % at 128 input;' in caveat
    assert render.placement_caveat({}) == ''


def test_a_pass_count_below_one_is_refused_and_nothing_is_written(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr('sys.argv', ['target_placement', '--epochs', '0'])
    assert_study_refuses(
        target_placement.main, '--epochs must be at least 1, got 0', tmp_path, capsys
    )


def test_the_stored_result_has_every_case_and_objective():
    stored = study.load('target_placement')
    if stored is None:
        pytest.skip('not measured yet: python -m tools.benchmarks.target_placement')
    cases = {(r['input'], r['stride'], r['objective']) for r in stored['rows']}
    assert cases == {
        (size, stride, o)
        for size, stride in target_placement.CASES
        for o in target_placement.OBJECTIVES
    }
    assert all(r['moved'] == 0 for r in stored['rows'] if r['objective'] == 'DARK')
