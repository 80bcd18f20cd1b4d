"""Random H3R model directories for parity checks: weights whose every
BN layer carries non-trivial statistics, written beside a released
``config.yaml``."""

from __future__ import annotations

import shutil
from pathlib import Path

import torch
import yaml
from torch import Tensor, nn


@torch.no_grad()
def fit_batch_norm_statistics(net: nn.Module, inputs: Tensor, seed: int = 0) -> nn.Module:
    """Random BN affine parameters, then running statistics measured on
    ``inputs`` (one pass in training mode): activations stay O(1) through
    deep random networks (HRNet's explode otherwise), and a mis-mapped BN
    layer still shows. Returns ``net`` in eval mode."""
    generator = torch.Generator().manual_seed(seed)
    norms = [m for m in net.modules() if isinstance(m, nn.BatchNorm2d)]
    for module in norms:
        module.weight.uniform_(0.5, 1.5, generator=generator)
        module.bias.uniform_(-0.2, 0.2, generator=generator)
        module.reset_running_stats()
        module.momentum = None  # cumulative average over the statistics pass
    net.train()
    forward = getattr(net, 'logits', net)
    forward(inputs)
    for module in norms:
        module.momentum = 0.1
    return net.eval()


def write_h3r_model_dir(path: str | Path, state: dict[str, Tensor], config: Path | dict) -> Path:
    """``path/config.yaml`` (a copy of the file ``config``, or the mapping
    ``config`` dumped) and ``path/model.pth`` (a plain state dict): H3R's
    released layout."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    if isinstance(config, dict):
        (path / 'config.yaml').write_text(yaml.safe_dump(config))
    else:
        shutil.copyfile(config, path / 'config.yaml')
    torch.save(state, path / 'model.pth')
    return path
