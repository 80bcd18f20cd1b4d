"""The codecs compared by the benchmarks, with the settings used for each.

Settings (the fair choice is ours, stated here and in docs/benchmarks.md):
- Gaussian heatmap codecs (MSRA, DARK, UDP): the studies' sigma rule
  (``study.MSRA_SIGMA_CELLS`` heatmap cells at every resolution); DARK's
  blur kernel is 11.
- SimCC: MMPose's Gaussian SimCC label, split ratio 2.0 at stride 4 as
  RTMPose, and 8 / stride elsewhere so its bins grow with the stride;
  sigma in input px as RTMPose's 256x256 face configs set it.
- Randomized rounding: top-k 9, decoded from log-probabilities.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from mmpose.registry import KEYPOINT_CODECS

import rr_mmpose  # noqa: F401

from .study import MSRA_SIGMA_CELLS, SIMCC_SIGMA_AT_256

INPUT = 256


def build(cfg: dict):
    return KEYPOINT_CODECS.build(cfg)


def gaussian_codecs(heatmap: int) -> dict[str, object]:
    size = dict(input_size=(INPUT, INPUT), heatmap_size=(heatmap, heatmap), sigma=MSRA_SIGMA_CELLS)
    return {
        'MSRAHeatmap': build(dict(type='MSRAHeatmap', **size)),
        'MSRAHeatmap (DARK)': build(dict(type='MSRAHeatmap', unbiased=True, **size)),
        'UDPHeatmap': build(dict(type='UDPHeatmap', **size)),
    }


def simcc_codec(heatmap: int):
    stride = INPUT / heatmap
    split = 8.0 / stride
    # Keep the width RTMPose's 256x256 face configs give it in input px.
    sigma_px = SIMCC_SIGMA_AT_256 / 2.0
    return build(
        dict(
            type='SimCCLabel',
            input_size=(INPUT, INPUT),
            sigma=(sigma_px * split,) * 2,
            simcc_split_ratio=split,
            normalize=False,
            use_dark=False,
        )
    )


def rr_codec(heatmap: int, **kwargs):
    return build(
        dict(
            type='RandomizedRoundingHeatmap',
            input_size=(INPUT, INPUT),
            heatmap_size=(heatmap, heatmap),
            **kwargs,
        )
    )


def ideal_decoder(name: str, codec) -> Callable[[np.ndarray], np.ndarray]:
    """keypoints (1, K, 2) -> decoded (1, K, 2) from the codec's own ideal
    prediction (its encoded target)."""
    if name.startswith('SimCC'):

        def run(kp):
            enc = codec.encode(kp)
            return codec.decode(enc['keypoint_x_labels'][0], enc['keypoint_y_labels'][0])[0]

        return run

    def run(kp):
        decoded = codec.decode(codec.encode(kp)['heatmaps'])[0]
        if name.startswith('UDP'):
            # UDP's crop and encode take the box as [0, input - 1] px, its
            # decode returns [0, input] px, which MMPose's estimator maps onto
            # the box: back in the crop's own px, the pipeline's round trip.
            size = np.asarray(codec.input_size, np.float64)
            decoded = decoded * (size - 1) / size
        return decoded

    return run


def rr_draws_decoder(heatmap: int, draws: int, seed: int = 0):
    """Mean of ``draws`` binary targets, decoded: what a network trained on
    that many samples of a point converges towards."""
    sampler = rr_codec(heatmap, seed=seed)
    codec = rr_codec(heatmap)

    def run(kp):
        mean = np.mean([sampler.encode(kp)['heatmaps'] for _ in range(draws)], axis=0)
        return codec.decode(np.log(np.maximum(mean, 1e-30)))[0]

    return run


def rr_expected_decoder(heatmap: int, literal_two_class: bool = False):
    """The decoded loss optimum. ``literal_two_class``: H3R's decoder
    (softmax of raw keypoint logits, l0 = 0) on the two-class loss optimum."""
    expected = rr_codec(heatmap, target_mode='expected')
    codec = rr_codec(heatmap)

    def run(kp):
        q = np.clip(expected.encode(kp)['heatmaps'], 1e-12, 1 - 1e-12)
        maps = np.log(q / (1 - q)) if literal_two_class else np.log(q)
        return codec.decode(maps)[0]

    return run


def simcc_vectors(name: str, heatmap: int) -> tuple[object, Callable]:
    """A SimCC-style codec at the study's split ratio for ``heatmap`` and a
    function keypoints (1, K, 2) -> its ideal logits (x (K, Wx), y (K, Wy)):
    SimCCLabel's own Gaussian labels, or the log of RandomizedRoundingSimCC's
    expected target over its loss temperature."""
    if name == 'SimCCLabel':
        codec = simcc_codec(heatmap)

        def logits(kp):
            enc = codec.encode(kp)
            return enc['keypoint_x_labels'][0], enc['keypoint_y_labels'][0]

        return codec, logits
    split = 8.0 * heatmap / INPUT
    size = dict(type='RandomizedRoundingSimCC', input_size=(INPUT, INPUT), simcc_split_ratio=split)
    codec, expected = build(size), build(dict(size, target_mode='expected'))

    def logits(kp):
        enc = expected.encode(kp)
        return tuple(
            np.log(np.maximum(enc[key][0], 1e-30)) / codec.beta
            for key in ('keypoint_x_labels', 'keypoint_y_labels')
        )

    return codec, logits


def simcc_decoder(name: str, heatmap: int, flip_test: bool) -> Callable:
    """The decoded ideal logits of a SimCC codec; with ``flip_test``, as
    RTMCCHead's flip test makes them: the mirrored image's x logits
    reversed (``flip_vectors``, each point its own mirror here) and averaged
    with the plain ones."""
    codec, logits = simcc_vectors(name, heatmap)

    def run(kp):
        x, y = logits(kp)
        if flip_test:
            mirrored = kp.copy()
            mirrored[..., 0] = INPUT - 1 - mirrored[..., 0]  # MMPose's flip_keypoints
            x_flip, y_flip = logits(mirrored)
            x, y = (x + x_flip[:, ::-1]) / 2, (y + y_flip) / 2
        return codec.decode(x, y)[0]

    return run


def all_ideal_decoders(heatmap: int) -> dict[str, Callable]:
    decoders = {name: ideal_decoder(name, c) for name, c in gaussian_codecs(heatmap).items()}
    decoders['SimCCLabel'] = ideal_decoder('SimCCLabel', simcc_codec(heatmap))
    decoders['SimCCLabel, flip test'] = simcc_decoder('SimCCLabel', heatmap, True)
    decoders['RR-SimCC expected'] = simcc_decoder('RR', heatmap, False)
    decoders['RR-SimCC expected, flip test'] = simcc_decoder('RR', heatmap, True)
    decoders['RR expected'] = rr_expected_decoder(heatmap)
    decoders['RR two-class, H3R literal decoder'] = rr_expected_decoder(heatmap, True)
    decoders['RR one draw'] = rr_draws_decoder(heatmap, 1)
    for n in (8, 64):
        decoders[f'RR mean of {n} draws'] = rr_draws_decoder(heatmap, n)
    return decoders


def sample_points(rng: np.random.Generator, n: int, heatmap: int) -> np.ndarray:
    """n uniformly sub-pixel points (1, n, 2), 3 sigma (6 cells) from the
    border where the map allows, so Gaussian targets are not cut."""
    stride = INPUT / heatmap
    margin = min(6 * stride, INPUT / 2 - stride)
    return rng.uniform(margin, INPUT - 1 - margin, (1, n, 2))
