"""Parameters and FLOPs of the shipped configs, counted once
(``rr_mmpose.utils.model_complexity``, as MMPose's get_flops.py counts
them), against what H3R published (``rr_mmpose.h3r.published``), what
MMPose publishes for RTMPose (``rr_mmpose.testing.rtmpose_published``) and
the complexity study's generated table."""

import json

import pytest

from rr_mmpose import config_path
from rr_mmpose.h3r.published import RELEASED_MODELS
from rr_mmpose.testing.rtmpose_published import COMPARABLE, RTMPOSE_PUBLISHED
from rr_mmpose.utils import model_complexity

from ..helpers import REPO

pytestmark = pytest.mark.usefixtures('one_torch_thread')

# One released model per config (the LaPa _jd model shares its config).
PUBLISHED = {m.config: m for m in RELEASED_MODELS.values() if m.params_m is not None}
COUNTED = json.loads((REPO / 'docs/benchmarks/complexity.json').read_text())['rows']


@pytest.mark.parametrize('config', sorted(PUBLISHED), ids=lambda c: c.split('/')[-1])
def test_params_and_flops_match_h3rs_published_figures(config):
    count = model_complexity(config_path(config))
    paper = PUBLISHED[config]
    assert count.params_m == pytest.approx(paper.params_m, rel=0.02)
    # Published FLOPs are rounded to two decimals: allow that rounding too.
    assert count.gflops == pytest.approx(paper.gflops, rel=0.02, abs=0.005)


def test_the_generated_table_holds_todays_counts():
    """The complexity study's file (which the metafiles and results pages
    quote) matches a fresh count, for a config H3R published no figure for
    and for one it did."""
    counted = {row['config']: row for row in COUNTED}
    for config in (
        'face_2d_keypoint/rr_heatmap/lapa/td-hm_hrnetv2-w32_rr-8xb64-60e_lapa-p2-256x256.py',
        'face_2d_keypoint/rr_heatmap/wflw/td-hm_mobilenetv2_rr-8xb64-60e_wflw-p2-128x128.py',
    ):
        count = model_complexity(config_path(config))
        assert counted[config]['params_m'] == pytest.approx(count.params_m, rel=1e-6)
        assert counted[config]['gflops'] == pytest.approx(count.gflops, rel=1e-6)


RTMPOSE = sorted(COMPARABLE.items())


@pytest.mark.parametrize('config, published', RTMPOSE, ids=[p[0].split('/')[-1] for p in RTMPOSE])
def test_rtmpose_flops_match_mmposes_published_figures(config, published):
    gflops, source = RTMPOSE_PUBLISHED[published]
    count = model_complexity(config_path(config))
    print(
        f'\n{config}: {count.params_m:.3f} M params, {count.gflops:.3f} GFLOPs counted; '
        f'MMPose publishes {gflops} GFLOPs for {published} ({source})'
    )
    assert count.gflops == pytest.approx(gflops, rel=0.03)
