"""Parameters and FLOPs of every shipped config, counted as MMPose's
``tools/analysis_tools/get_flops.py`` counts them (``model_complexity``),
next to the figures H3R published (``rr_mmpose.h3r.published``).

    python -m tools.benchmarks.complexity
"""

from __future__ import annotations

from . import study

TITLE = 'Parameters and FLOPs of the shipped configs'  # of its section


def measure() -> dict:
    import torch

    from rr_mmpose.h3r.published import published_for_config
    from rr_mmpose.utils import model_complexity, shipped_configs
    from rr_mmpose.utils.config_path import config_path

    torch.set_num_threads(1)
    rows = []
    for name in shipped_configs():
        count = model_complexity(config_path(name))
        paper = published_for_config(name)
        rows.append(
            dict(
                config=name,
                params_m=count.params_m,
                gflops=count.gflops,
                published=None
                if paper is None
                else dict(model=paper.name, params_m=paper.params_m, gflops=paper.gflops),
            )
        )
    return dict(rows=rows)


def table(result: dict) -> str:
    from rr_mmpose.testing.rtmpose_published import COMPARABLE, RTMPOSE_PUBLISHED

    lines = [
        '| config | params (M) | GFLOPs | published: params (M) / GFLOPs |',
        '|---|---|---|---|',
    ]
    for row in result['rows']:
        paper = row['published']
        ref = f'H3R: {paper["params_m"]:.2f} / {paper["gflops"]:.2f}' if paper else ''
        if row['config'] in COMPARABLE:  # MMPose publishes RTMPose's FLOPs only
            peer = COMPARABLE[row['config']]
            name = peer.split('/')[-1].removesuffix('.py')
            ref = f'MMPose `{name}`: - / {RTMPOSE_PUBLISHED[peer].gflops:.3f}'
        lines.append(f'| `{row["config"]}` | {row["params_m"]:.3f} | {row["gflops"]:.3f} | {ref} |')
    return '\n'.join(lines)


def section(result: dict, results: dict) -> str:
    return '\n'.join(
        [
            f'## {TITLE}',
            '',
            "Counted as MMPose's `tools/analysis_tools/get_flops.py` counts them (mmengine's "
            "`get_model_complexity_info` on `model._forward`, batch 1, the config's input "
            'size; backbone, neck and head, no decoding), beside the figures H3R published for '
            'the model each config converts, and, for the RTMPose configs, the FLOPs MMPose '
            'publishes for the comparable RTMPose (face6, 106 keypoints; '
            '`rr_mmpose.testing.rtmpose_published`).',
            '',
            table(result),
        ]
    )


def run() -> dict:
    study.save('complexity', measure())
    return study.load('complexity')


if __name__ == '__main__':
    run()
