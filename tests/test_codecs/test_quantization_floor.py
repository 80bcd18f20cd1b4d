"""The ideal prediction of randomized rounding decodes exactly at every
heatmap stride, where a Gaussian heatmap's argmax is off by a quarter
cell; and H3R's literal decoder is biased on the per-pixel loss's optimum.
(The full comparison is the quantization study in docs/benchmarks.md.)"""

import numpy as np
import pytest
from mmpose.registry import KEYPOINT_CODECS

INPUT = 256


def codec(heatmap: int, **kwargs):
    size = dict(input_size=(INPUT, INPUT), heatmap_size=(heatmap, heatmap))
    return KEYPOINT_CODECS.build(dict(type='RandomizedRoundingHeatmap', **size, **kwargs))


def expected_target(heatmap: int, keypoints: np.ndarray) -> np.ndarray:
    expected = codec(heatmap, target_mode='expected').encode(keypoints)['heatmaps']
    return np.clip(expected, 1e-12, 1 - 1e-12)


@pytest.mark.parametrize('heatmap', [64, 32, 16, 8])
def test_the_decoded_optimum_is_exact_where_msra_is_not(heatmap, rng):
    stride = INPUT // heatmap
    keypoints = rng.uniform(2 * stride, INPUT - 1 - 2 * stride, (1, 300, 2))
    decoded, _ = codec(heatmap).decode(np.log(expected_target(heatmap, keypoints)))
    rr_error = np.linalg.norm(decoded - keypoints, axis=-1).mean()
    assert rr_error < 0.01  # input px, at every stride

    msra = KEYPOINT_CODECS.build(
        dict(type='MSRAHeatmap', input_size=(INPUT, INPUT), heatmap_size=(heatmap,) * 2, sigma=1.5)
    )
    argmax, _ = msra.decode(msra.encode(keypoints)['heatmaps'])
    msra_error = np.linalg.norm(argmax - keypoints, axis=-1).mean()
    # The argmax rounds to a cell: about stride * 0.38 on average in 2D.
    assert msra_error > 0.3 * stride > 100 * rr_error


def test_h3rs_literal_decoder_is_biased_on_the_per_pixel_optimum(rng):
    """The per-pixel two-class loss is minimal at sigmoid(l1 - l0) = q; with
    l0 = 0 H3R's decoder weighs cells by q / (1 - q), not q."""
    keypoints = rng.uniform(32, 224, (1, 300, 2))
    q = expected_target(16, keypoints)
    literal, _ = codec(16).decode(np.log(q / (1 - q)))
    assert np.linalg.norm(literal - keypoints, axis=-1).mean() > 0.5
