"""Convert H3R's released models (``config.yaml`` + ``model.pth``) to MMPose
checkpoints for the configs in this repository.

H3R's state dicts name the backbone ``backbone.*`` (HRNet: the classic
HRNet names, which MMPose's ``HRNet`` shares; MobileNetV2: torchvision's
``features.<i>``) and the head ``heatmap_head.head.layers.{0,1,3}`` (1x1
conv, BN, 1x1 conv to 2K channels), the layout of ``RandomizedRoundingHead``
with ``PixelwiseTwoClassCELoss``.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from pathlib import Path

import torch
import yaml

from rr_mmpose.utils.atomic_write import atomic_output

REPO = Path(__file__).resolve().parents[2]
CONFIG_DIR = REPO / 'configs' / 'face_2d_keypoint' / 'rr_heatmap'
ARCHS = {'hrnet18': 'hrnetv2-w18', 'mobilenetv2': 'mobilenetv2'}
DATASETS = {'wflw': 'wflw', 'lapa': 'lapa', '300w': '300w', 'ibug': '300w'}

# torchvision MobileNetV2 ``features`` index -> MMPose (layer, block).
_MBV2_BLOCKS = {0: ('conv1', None)}
for _layer, (_first, _count) in enumerate([(1, 1), (2, 2), (4, 3), (7, 4), (11, 3)], start=1):
    for _i in range(_count):
        _MBV2_BLOCKS[_first + _i] = (f'layer{_layer}', _i)


class CheckpointConversionError(ValueError):
    """The source does not fit the target model; names the keys at fault."""


def read_h3r_config(model_dir: Path) -> dict:
    path = Path(model_dir) / 'config.yaml'
    if not path.is_file():
        raise FileNotFoundError(f'{path}: H3R model directories hold config.yaml and model.pth')
    cfg = yaml.safe_load(path.read_text()) or {}
    for section, key in (('INPUT', 'SIZE'), ('BACKBONE', 'ARCH'), ('HEATMAP', 'OUT_CHANNEL')):
        if key not in cfg.get(section, {}):
            raise CheckpointConversionError(f'{path}: missing {section}.{key}')
    return cfg


def matching_config(h3r_cfg: dict) -> Path:
    """The config here for an H3R model's dataset, backbone, box and size."""
    arch = h3r_cfg['BACKBONE']['ARCH'].lower()
    if arch not in ARCHS:
        raise CheckpointConversionError(f'no config here for BACKBONE.ARCH={arch!r}')
    dataset = DATASETS.get(str(h3r_cfg['INPUT'].get('DATASET', '')).lower())
    if dataset is None:
        raise CheckpointConversionError(
            f'no config here for INPUT.DATASET={h3r_cfg["INPUT"].get("DATASET")!r}'
        )
    box = str(h3r_cfg['INPUT'].get('BBOX', 'P2')).lower()
    size = int(h3r_cfg['INPUT']['SIZE'][0])
    path = (
        CONFIG_DIR / dataset / f'td-hm_{ARCHS[arch]}_rr-8xb64-60e_{dataset}-{box}-{size}x{size}.py'
    )
    if not path.is_file():
        raise CheckpointConversionError(f'no config here for {arch} {dataset} {box} {size}: {path}')
    return path


def _mobilenet_key(key: str) -> str:
    match = re.fullmatch(r'features\.(\d+)\.(.+)', key)
    if not match or int(match.group(1)) not in _MBV2_BLOCKS:
        return 'backbone.' + key  # reported as unexpected by the caller
    layer, block = _MBV2_BLOCKS[int(match.group(1))]
    rest = match.group(2)
    if block is None:  # stem: 0 conv, 1 bn
        return f'backbone.conv1.{"conv" if rest.startswith("0.") else "bn"}.{rest[2:]}'
    parts = rest.split('.')  # conv.<i>[.<j>].<param>
    i = int(parts[1])
    if parts[2].isdigit():  # ConvBNReLU: conv.<i>.<0 conv | 1 bn>.<param>
        kind = 'conv' if parts[2] == '0' else 'bn'
        return f'backbone.{layer}.{block}.conv.{i}.{kind}.{".".join(parts[3:])}'
    # The projection is a bare conv then BN: conv.<p> and conv.<p + 1> in
    # torchvision, one ConvModule conv.<p> in MMPose. p = 1 for the only
    # block without expansion (layer1), 2 elsewhere.
    project = 1 if layer == 'layer1' else 2
    kind = 'conv' if i == project else 'bn'
    return f'backbone.{layer}.{block}.conv.{project}.{kind}.{".".join(parts[2:])}'


def convert_state_dict(state: dict[str, torch.Tensor], arch: str) -> dict[str, torch.Tensor]:
    """Rename H3R keys to this repository's model keys."""
    out = OrderedDict()
    for key, value in state.items():
        key = key[len('module.') :] if key.startswith('module.') else key
        if key.startswith('heatmap_head.head.layers.'):
            new = 'head.layers.' + key[len('heatmap_head.head.layers.') :]
        elif key.startswith('backbone.') and arch == 'mobilenetv2':
            new = _mobilenet_key(key[len('backbone.') :])
        else:
            new = key
        out[new] = value
    return out


def check_against(converted: dict[str, torch.Tensor], model: torch.nn.Module) -> None:
    expected = model.state_dict()
    optional = {k for k in expected if k.endswith('num_batches_tracked')}
    missing = sorted(set(expected) - set(converted) - optional)
    unexpected = sorted(set(converted) - set(expected))
    shapes = sorted(
        f'{k}: {tuple(converted[k].shape)} != {tuple(expected[k].shape)}'
        for k in set(converted) & set(expected)
        if converted[k].shape != expected[k].shape
    )
    problems = []
    for label, items in (('missing', missing), ('unexpected', unexpected), ('mis-shaped', shapes)):
        if items:
            shown = ', '.join(items[:8]) + (f' ... ({len(items)} in all)' if len(items) > 8 else '')
            problems.append(f'{label} keys: {shown}')
    if problems:
        raise CheckpointConversionError('; '.join(problems))


def convert_h3r_checkpoint(model_dir: Path, out_path: Path, config: Path | None = None) -> Path:
    """Read ``model_dir`` (config.yaml + model.pth), write an MMPose
    checkpoint for ``config`` (default: the matching config here).

    Nothing is written unless every key maps onto the model with its shape.
    """
    from mmengine.config import Config
    from mmpose.registry import MODELS
    from mmpose.utils import register_all_modules

    register_all_modules()
    h3r_cfg = read_h3r_config(model_dir)
    config = Path(config) if config else matching_config(h3r_cfg)
    weights = Path(model_dir) / 'model.pth'
    if not weights.is_file():
        raise FileNotFoundError(f'{weights}: missing H3R weights')
    state = torch.load(weights, map_location='cpu', weights_only=True)
    state = state.get('state_dict', state) if isinstance(state, dict) else state
    arch = h3r_cfg['BACKBONE']['ARCH'].lower()
    converted = convert_state_dict(state, arch)

    cfg = Config.fromfile(str(config))
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    check_against(converted, model)

    out_path = Path(out_path)
    with atomic_output(out_path) as tmp:
        torch.save(
            dict(
                state_dict=converted,
                meta=dict(source=str(model_dir), config=str(config), h3r_config=h3r_cfg),
            ),
            tmp,
        )
    return out_path
