"""Parameters and FLOPs of a config's model, counted once, the way MMPose's
``tools/analysis_tools/get_flops.py`` counts them."""

from __future__ import annotations

from dataclasses import dataclass

from mmengine.config import Config


@dataclass(frozen=True)
class Complexity:
    """Parameters and FLOPs (multiply-accumulates, as mmengine and ``thop``
    count them) of one forward pass at batch 1."""

    params: int
    flops: int

    @property
    def params_m(self) -> float:
        return self.params / 1e6

    @property
    def gflops(self) -> float:
        return self.flops / 1e9


def model_complexity(config: str | Config, input_size: tuple[int, int] | None = None) -> Complexity:
    """Count a config's model as ``get_flops.py`` does: mmengine's
    ``get_model_complexity_info`` on ``model._forward`` (backbone, neck and
    head; no decoding), batch 1.

    Args:
        config: A config path or :class:`~mmengine.config.Config`
        input_size: ``(w, h)``; defaults to the config's ``codec`` input size
    """
    from mmengine.analysis import get_model_complexity_info
    from mmpose.registry import MODELS
    from mmpose.utils import register_all_modules

    register_all_modules()
    cfg = Config.fromfile(config) if not isinstance(config, Config) else config.copy()
    cfg.model.backbone.init_cfg = None  # the count needs no pretrained weights
    model = MODELS.build(cfg.model).eval()
    model.forward = model._forward
    w, h = input_size or cfg.codec['input_size']
    info = get_model_complexity_info(model, (3, h, w), show_table=False, show_arch=False)
    return Complexity(params=int(info['params']), flops=int(info['flops']))
