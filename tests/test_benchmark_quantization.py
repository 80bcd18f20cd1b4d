"""The quantization benchmark in a tiny mode: a regression in the codec
(bias, lossy decoding) fails CI. Nothing here is timed."""

from tools.benchmarks import quantization


def test_randomized_rounding_is_at_the_physical_floor():
    rows = quantization.measure(num_points=300, heatmaps=(64, 16, 8))
    by = {(r['codec'], r['heatmap']): r for r in rows}
    for heatmap in (64, 16, 8):
        rr = by[('RR expected (consistent)', heatmap)]
        assert rr['mean'] < 0.01 and rr['p95'] < 0.01  # input px, at every stride
        # Gaussian heatmap argmax decoding is far off at coarse strides.
        assert by[('MSRAHeatmap', heatmap)]['mean'] > 100 * rr['mean']
    # H3R's literal decoder on the two-class optimum is biased.
    assert by[('RR two-class, H3R literal decoder', 16)]['mean'] > 0.5
    # Averaging more random draws converges towards the exact expectation.
    assert by[('RR mean of 64 draws', 64)]['mean'] < by[('RR mean of 1 draws', 64)]['mean']
