"""The quantization study's harness measures each codec's ideal prediction
in the codec's own pixel convention."""

import numpy as np
import pytest


def test_the_quantization_harness_reads_udp_in_its_own_convention():
    """UDP's decode returns [0, input] px for a crop whose box spans
    [0, input - 1]; scaled back as MMPose's estimator does, its ideal
    prediction carries no offset, where read raw it drifts by x / (input - 1)."""
    from tools.benchmarks import codec_zoo

    udp = codec_zoo.gaussian_codecs(64)['UDPHeatmap']
    points = codec_zoo.sample_points(np.random.default_rng(0), 200, 64)
    decoded = codec_zoo.ideal_decoder('UDPHeatmap', udp)(points)
    assert np.abs((decoded - points).mean(axis=1)).max() < 0.01
    raw = udp.decode(udp.encode(points)['heatmaps'])[0]
    assert (raw - points).mean() == pytest.approx(points.mean() / (codec_zoo.INPUT - 1), rel=0.05)
