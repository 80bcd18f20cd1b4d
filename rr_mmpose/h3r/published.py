"""The figures H3R published for its released models, written once.

Sources, both in `baoshengyu/H3R <https://github.com/baoshengyu/H3R>`_:
``README.md`` (WFLW and LaPa tables) and ``models/README.md`` (300W and
AFLW2000-3D tables). Every test, tool and doc table that quotes a paper
figure reads it from :data:`RELEASED_MODELS`.

NME is in % of the normaliser of each benchmark, as H3R's
``examples/test_*.py`` compute it: the outer eye corners (WFLW 60-72,
LaPa 66-79, 300W 36-45), or ``sqrt(w * h)`` of the ground-truth landmark
box for AFLW2000-3D. H3R's README writes FLOPs for what ``thop`` counts
(multiply-accumulates); MMPose's ``get_flops.py`` counts the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

REPOSITORY = 'https://github.com/baoshengyu/H3R'
# The commit whose source ``rr_mmpose.testing.h3r_reference`` rebuilds and
# whose released ``config.yaml`` files tests/fixtures/h3r_models copies.
SOURCE_COMMIT = '52a8bde2efd4d77ce3ca76dd248610736245b29e'
PAPER = dict(
    title='Heatmap Regression via Randomized Rounding',
    authors='Baosheng Yu and Dacheng Tao',
    venue='IEEE Transactions on Pattern Analysis and Machine Intelligence (TPAMI)',
    year=2021,
    url='https://arxiv.org/abs/2009.00225',
)
CONFIG_ROOT = 'face_2d_keypoint/rr_heatmap/'

# Normalisers and test sets, as H3R's test scripts use them.
BENCHMARKS = {
    'WFLW': 'WFLW test (2500 faces), NME / outer eye corners (points 60, 72)',
    'LaPa': 'LaPa test, NME / outer eye corners (points 66, 79)',
    '300W': '300W test, NME / outer eye corners (points 36, 45)',
    'AFLW2000-3D': 'AFLW2000-3D, NME / sqrt(w * h) of the landmark box',
}


@dataclass(frozen=True)
class ReleasedModel:
    """One model directory of H3R's ``models/`` and what H3R says of it.

    ``config`` is the shipped config it converts to (relative to the
    configs root); ``None`` figures were not published.
    """

    name: str
    config: str
    benchmark: str
    params_m: float | None
    gflops: float | None
    nme: float | None
    source: str

    @property
    def url(self) -> str:
        return f'{REPOSITORY}/tree/master/models/{self.name}'


def _model(
    name: str,
    config: str,
    benchmark: str,
    params_m: float | None,
    gflops: float | None,
    nme: float | None,
    source: str,
) -> ReleasedModel:
    return ReleasedModel(name, CONFIG_ROOT + config, benchmark, params_m, gflops, nme, source)


_WFLW_HRNET = 'wflw/td-hm_hrnetv2-w18_rr-8xb64-60e_wflw-{}-256x256.py'
_WFLW_MOBILE = 'wflw/td-hm_mobilenetv2_rr-8xb64-60e_wflw-p2-{0}x{0}.py'
_LAPA_HRNET = 'lapa/td-hm_hrnetv2-w18_rr-8xb64-60e_lapa-p2-256x256.py'
_LAPA_MOBILE = 'lapa/td-hm_mobilenetv2_rr-8xb64-60e_lapa-p2-{0}x{0}.py'
_300W_HRNET = '300w/td-hm_hrnetv2-w18_rr-8xb64-60e_300w-{}-256x256.py'
_300W_MOBILE = '300w/td-hm_mobilenetv2_rr-8xb64-60e_300w-p2-{0}x{0}.py'
_300WLP = '300wlp/td-hm_{}_rr-8xb64-60e_300wlp-p2-128x128.py'

RELEASED_MODELS: dict[str, ReleasedModel] = {
    m.name: m
    for m in (
        _model('wflw/hrnet18_256x256_p1', _WFLW_HRNET.format('p1'), 'WFLW', 9.69, 4.84, 3.81,
               'README.md'),
        _model('wflw/hrnet18_256x256_p2', _WFLW_HRNET.format('p2'), 'WFLW', 9.69, 4.84, 3.95,
               'README.md'),
        _model('wflw/mobilenet_256x256_p2', _WFLW_MOBILE.format(256), 'WFLW', 0.60, 0.51, 4.45,
               'README.md'),
        _model('wflw/mobilenet_160x160_p2', _WFLW_MOBILE.format(160), 'WFLW', 0.60, 0.20, 4.58,
               'README.md'),
        _model('wflw/mobilenet_128x128_p2', _WFLW_MOBILE.format(128), 'WFLW', 0.60, 0.13, 4.72,
               'README.md'),
        _model('lapa/hrnet18_256x256_p2', _LAPA_HRNET, 'LaPa', 9.69, 4.86, 1.40, 'README.md'),
        # The JD-trained LaPa HRNet and the HRNet-W32 were released without figures.
        _model('lapa/hrnet18_256x256_p2_jd', _LAPA_HRNET, 'LaPa', None, None, None, '-'),
        _model('lapa/hrnet32_256x256_p2',
               'lapa/td-hm_hrnetv2-w32_rr-8xb64-60e_lapa-p2-256x256.py', 'LaPa',
               None, None, None, '-'),
        _model('lapa/mobilenet_256x256_p2', _LAPA_MOBILE.format(256), 'LaPa', 0.60, 0.52, 1.69,
               'README.md'),
        _model('lapa/mobilenet_128x128_p2', _LAPA_MOBILE.format(128), 'LaPa', 0.60, 0.13, 2.08,
               'README.md'),
        _model('300w/hrnet18_256x256_p1', _300W_HRNET.format('p1'), '300W', 9.67, 4.77, 3.48,
               'models/README.md'),
        _model('300w/hrnet18_256x256_p2', _300W_HRNET.format('p2'), '300W', 9.67, 4.77, 3.62,
               'models/README.md'),
        _model('300w/mobilenet_256x256_p2', _300W_MOBILE.format(256), '300W', 0.59, 0.47, 3.96,
               'models/README.md'),
        _model('300w/mobilenet_128x128_p2', _300W_MOBILE.format(128), '300W', 0.59, 0.12, 4.17,
               'models/README.md'),
        _model('300wlp/pts3d/hrnet18_128x128_p2', _300WLP.format('hrnetv2-w18'), 'AFLW2000-3D',
               9.67, 1.19, 3.04, 'models/README.md'),
        _model('300wlp/pts3d/mobilenet_128x128_p2', _300WLP.format('mobilenetv2'),
               'AFLW2000-3D', 0.59, 0.12, 3.21, 'models/README.md'),
    )
}  # fmt: skip


def published_for_config(config: str) -> ReleasedModel | None:
    """The released model with published figures whose config is
    ``config`` (a name relative to the configs root, or a path ending in
    one); ``None`` if H3R published none for it."""
    for model in RELEASED_MODELS.values():
        if model.nme is not None and config.endswith(model.config):
            return model
    return None
