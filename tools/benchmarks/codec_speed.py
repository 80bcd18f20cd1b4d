"""Codec speed: per-sample encode (the data pipeline's cost) and per-batch
decode (the inference cost), medians of repeated runs, as ratios against
MSRAHeatmap measured in the same process."""

from __future__ import annotations

import argparse
from functools import partial

import numpy as np
import torch

from . import study
from .codec_zoo import gaussian_codecs, rr_codec, simcc_codec
from .study import median_seconds

TITLE = 'Codec speed'  # of its section

K, HEATMAP, BATCH = 98, 64, 64


def decode_each(codec, *per_instance) -> list:
    """What MMPose's heads do without batch decoding: one call per instance."""
    return [codec.decode(*args) for args in zip(*per_instance)]


def measure(repeats: int = 20, batch: int = BATCH) -> dict:
    torch.set_num_threads(1)  # the data pipeline and one decode run on one core
    rng = np.random.default_rng(0)
    keypoints = rng.uniform(16, 240, (1, K, 2))
    maps = rng.normal(0, 1, (batch, K, HEATMAP, HEATMAP)).astype(np.float32)
    codecs = dict(gaussian_codecs(HEATMAP))
    codecs['SimCCLabel'] = simcc_codec(HEATMAP)
    codecs['RandomizedRoundingHeatmap'] = rr_codec(HEATMAP)
    rows = []
    for name, codec in codecs.items():
        encode = median_seconds(partial(codec.encode, keypoints), repeats)
        if name == 'SimCCLabel':
            enc = codec.encode(keypoints)
            xs = np.repeat(enc['keypoint_x_labels'], batch, 0)
            ys = np.repeat(enc['keypoint_y_labels'], batch, 0)
            decode = median_seconds(partial(decode_each, codec, xs, ys), repeats)
            how = 'decode per instance (numpy)'
        elif name == 'RandomizedRoundingHeatmap':
            decode = median_seconds(partial(codec.batch_decode, torch.from_numpy(maps)), repeats)
            how = 'batch_decode (torch)'
        else:
            slow = max(3, repeats // 4) if 'DARK' in name else repeats
            decode = median_seconds(partial(decode_each, codec, maps), slow)
            how = 'decode per instance (numpy), as HeatmapHead calls it'
        rows.append(
            dict(codec=name, encode_ms=encode * 1e3, decode_batch_ms=decode * 1e3, decode_path=how)
        )
    base = rows[0]
    for r in rows:
        r['encode_speedup_vs_msra'] = base['encode_ms'] / r['encode_ms']
        r['decode_speedup_vs_msra'] = base['decode_batch_ms'] / r['decode_batch_ms']
    # One read of the same batch of maps: a max-reduction per map, with its
    # argmax (what any peak decode does at least), and the values alone
    # (torch's fastest pass over memory).
    flat = torch.from_numpy(maps).flatten(2)
    one_read = 1e3 * median_seconds(partial(torch.max, flat, -1), repeats)
    values_only = 1e3 * median_seconds(partial(torch.amax, flat, -1), repeats)
    for r in rows:
        r['decode_vs_one_read'] = r['decode_batch_ms'] / one_read
        r['decode_vs_values_only'] = r['decode_batch_ms'] / values_only
    return dict(
        repeats=repeats, batch=batch, one_read_ms=one_read, values_only_ms=values_only, rows=rows
    )


def table(rows: list) -> str:
    lines = [
        f'| codec | encode / sample (ms) | x MSRA | decode / batch of {BATCH} (ms) | x MSRA '
        '| decode / one read of the maps | decode path |',
        '|---|---|---|---|---|---|---|',
    ]
    for r in rows:
        # SimCC decodes two vectors per keypoint, not maps: no read of the maps to compare.
        reads = '-' if r['codec'] == 'SimCCLabel' else f'{r["decode_vs_one_read"]:.2f}'
        lines.append(
            f'| {r["codec"]} | {r["encode_ms"]:.3f} | {r["encode_speedup_vs_msra"]:.1f} | '
            f'{r["decode_batch_ms"]:.1f} | {r["decode_speedup_vs_msra"]:.1f} | '
            f'{reads} | {r["decode_path"]} |'
        )
    return '\n'.join(lines)


def section(result: dict, results: dict) -> str:
    return '\n'.join(
        [
            f'## {TITLE}',
            '',
            f'Per-sample encode ({K} keypoints, {HEATMAP}x{HEATMAP} heatmaps) and decode of a '
            f'batch of {result["batch"]} such instances, medians of {result["repeats"]} runs, one '
            'thread, speed-ups against MSRAHeatmap measured in the same run. "One read of the '
            'maps" is one max-reduction per map, value and argmax, over the same batch '
            f'({result["one_read_ms"]:.1f} ms), the least a peak decode reads; the values alone '
            f'take {result.get("values_only_ms", float("nan")):.1f} ms. Each codec decodes by '
            "the path its head takes (last column): MMPose's heatmap heads decode instance by "
            "instance in numpy, randomized rounding's in one torch batch, so the decode ratio "
            'compares what each head costs, not the same arithmetic.',
            '',
            table(result['rows']),
        ]
    )


def run(repeats: int = 20) -> dict:
    study.save('codec_speed', measure(repeats))
    return study.load('codec_speed')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--repeats', type=int, default=20)
    args = parser.parse_args()
    run(args.repeats)


if __name__ == '__main__':
    main()
