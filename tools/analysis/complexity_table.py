"""Parameters and FLOPs of every config here, counted as MMPose's
tools/analysis_tools/get_flops.py counts them (mmengine's
get_model_complexity_info on ``model._forward``, batch 1), as a Markdown
table next to the paper's figures."""

from pathlib import Path

from mmengine.analysis import get_model_complexity_info
from mmengine.config import Config
from mmpose.registry import MODELS
from mmpose.utils import register_all_modules

import rr_mmpose  # noqa: F401

REPO = Path(__file__).resolve().parents[2]
# H3R's README (params M, GFLOPs) for the configs it lists.
PAPER = {
    ('hrnetv2-w18', 256): (9.69, 4.84),
    ('mobilenetv2', 256): (0.60, 0.51),
    ('mobilenetv2', 160): (0.60, 0.20),
    ('mobilenetv2', 128): (0.60, 0.13),
}


def main() -> None:
    register_all_modules()
    rows = ['| config | params (M) | GFLOPs | paper params / GFLOPs (WFLW) |', '|---|---|---|---|']
    for path in sorted((REPO / 'configs').rglob('td-*.py')):
        cfg = Config.fromfile(str(path))
        cfg.model.backbone.init_cfg = None
        model = MODELS.build(cfg.model).eval()
        model.forward = model._forward
        w, h = cfg.codec['input_size']
        info = get_model_complexity_info(model, (3, h, w), show_table=False, show_arch=False)
        arch = 'hrnetv2-w18' if 'hrnetv2-w18' in path.name else path.name.split('_')[1]
        paper = PAPER.get((arch, h))
        ref = f'{paper[0]:.2f} / {paper[1]:.2f}' if paper and 'wflw' in path.name else ''
        rows.append(
            f'| `{path.stem}` | {info["params"] / 1e6:.3f} | {info["flops"] / 1e9:.3f} | {ref} |'
        )
    print('\n'.join(rows))


if __name__ == '__main__':
    main()
