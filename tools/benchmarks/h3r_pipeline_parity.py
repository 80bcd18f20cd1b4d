"""End-to-end parity with H3R's inference pipeline as rebuilt from its source
(``rr_mmpose.testing.h3r_reference``), on the demo model (``make demo``
trains it): that rebuild, MMPoseInferencer with the
default affine crop, and MMPoseInferencer with ``h3r_inference_config``,
on the generated test faces (``rr_mmpose.testing.h3r_parity.pipeline_parity``).

    python -m tools.benchmarks.h3r_pipeline_parity [--checkpoint CKPT] [--num N]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from rr_mmpose.h3r.published import SOURCE_COMMIT

from . import study

TITLE = "Parity with H3R's inference pipeline, as rebuilt from its source"  # of its section

DEMO_CHECKPOINT = Path('work_dirs/demo/epoch_8.pth')
LABELS = {
    'H3R': "H3R's pipeline, rebuilt (reference)",
    'affine': 'MMPoseInferencer, TopdownAffine (default config)',
    'option': 'MMPoseInferencer, `h3r_inference_config(config)`',
}


def table(result: dict) -> str:
    lines = [
        '| pipeline | NME vs ground truth (%) | distance to H3R: mean / p95 / max (px) '
        '| mean / ocular (%) | mean offset dx, dy (px) |',
        '|---|---|---|---|---|',
    ]
    for row in result['rows']:
        lines.append(
            f'| {LABELS[row["pipeline"]]} | {row["nme"]:.3f} | {row["mean_px"]:.2e} / '
            f'{row["p95_px"]:.2e} / {row["max_px"]:.2e} | {row["mean_pct_ocular"]:.3f} | '
            f'{row["mean_dx"]:+.3f}, {row["mean_dy"]:+.3f} |'
        )
    return '\n'.join(lines)


def section(result: dict, results: dict) -> str:
    sha = result.get('checkpoint_sha256')  # results stored before digests have none
    digest = f', SHA-256 prefix `{sha}`' if sha else ''
    return '\n'.join(
        [
            f'## {TITLE}',
            '',
            f"The demo model (`{result['checkpoint']}`{digest}) written out in H3R's released "
            'layout, converted back, and run on the generated test faces (tight landmark boxes; '
            f'{result["faces"]} faces, mean outer-eye-corner distance '
            f"{result['mean_ocular_px']:.1f} px) by H3R's pipeline as rebuilt from its source "
            f'(`rr_mmpose.testing.h3r_reference`: `torchalign` at H3R commit {SOURCE_COMMIT[:7]}) '
            'and by MMPoseInferencer with '
            'and without the H3R inference config; both MMPose runs decode raw logits as H3R '
            'does. Distances are per landmark, in image pixels.',
            '',
            table(result),
        ]
    )


def run(checkpoint: Path = DEMO_CHECKPOINT, num: int = 300) -> dict:
    import torch

    from rr_mmpose.datasets import generated_faces
    from rr_mmpose.testing.h3r_parity import pipeline_parity

    from .rows import checkpoint_digest

    if checkpoint == DEMO_CHECKPOINT and not checkpoint.is_file():
        subprocess.run([sys.executable, 'tools/demo.py'], check=True)  # trains the demo model
    if not checkpoint.is_file():
        raise SystemExit(f'{checkpoint}: no checkpoint')
    torch.set_num_threads(2)
    result = pipeline_parity(checkpoint, generated_faces(study.DATA), num)
    result['checkpoint'] = str(checkpoint)
    result['checkpoint_sha256'] = checkpoint_digest(checkpoint)
    study.save('h3r_pipeline_parity', result)
    return study.load('h3r_pipeline_parity')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--checkpoint', type=Path, default=DEMO_CHECKPOINT)
    parser.add_argument('--num', type=int, default=300)
    args = parser.parse_args()
    run(args.checkpoint, args.num)


if __name__ == '__main__':
    main()
