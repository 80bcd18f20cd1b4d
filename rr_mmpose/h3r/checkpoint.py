"""Convert H3R's released models (``config.yaml`` + ``model.pth``) to MMPose
checkpoints for the configs shipped with this package.

``config.yaml`` is merged over ``torchalign``'s defaults first (WFLW's
files name no dataset: the default is WFLW). The model then picks its
config by dataset, backbone, box protocol and input size, and its keys are
renamed:

- HRNet (``hrnet18``, ``hrnet32``): the classic HRNet names, which MMPose's
  ``HRNet`` shares, unchanged;
- MobileNetV2: H3R's own module, ``features.<i>.conv.<j>`` with every
  (conv, BN, ReLU6) triple in three slots of one flat Sequential, onto
  MMPose's ``conv1`` / ``layer<l>.<b>.conv.<m>.{conv,bn}`` (ConvModules);
- head: ``heatmap_head.head.layers.{0,1,3}`` -> ``head.layers.{0,1,3}``.

Nothing is written unless every key lands on the model with its shape and
H3R's input size, stride, top-k, flip test and flip order equal the config's.
"""

from __future__ import annotations

import pickle
import re
from collections import OrderedDict
from pathlib import Path

import torch
from mmengine.config import Config

from rr_mmpose.utils.atomic_write import atomic_output
from rr_mmpose.utils.config_path import config_path

from .h3r_config import load_h3r_config

CONFIG_DIR = 'face_2d_keypoint/rr_heatmap'
ARCHS = {'hrnet18': 'hrnetv2-w18', 'hrnet32': 'hrnetv2-w32', 'mobilenetv2': 'mobilenetv2'}
# INPUT.DATASET as H3R's released files spell it -> the config folder here.
# JDLAPA and JDL are LaPa (JD AI's 106-point layout); F300W is 300W.
DATASETS = {
    'WFLW': 'wflw',
    'LAPA': 'lapa',
    'JDLAPA': 'lapa',
    'JDL': 'lapa',
    'F300W': '300w',
    '300W': '300w',
    '300WLP': '300wlp',
}


# H3R MobileNetV2 ``features`` index -> MMPose (layer, block); 0 is the stem.
# Stages of 1, 2, 3, 4 and 3 blocks follow the stem, as in MOBILENET_STAGES.
def _mobilenet_blocks() -> dict[int, tuple[str, int | None]]:
    blocks: dict[int, tuple[str, int | None]] = {0: ('conv1', None)}
    first = 1
    for layer, count in enumerate((1, 2, 3, 4, 3), start=1):
        for i in range(count):
            blocks[first + i] = (f'layer{layer}', i)
        first += count
    return blocks


_MBV2_BLOCKS = _mobilenet_blocks()
_MBV2_FEATURES = {block: index for index, block in _MBV2_BLOCKS.items()}


# The first bytes of a Git LFS pointer file, which a clone without LFS holds
# in place of each released model.pth.
LFS_POINTER = b'version https://git-lfs.github.com/spec/'


class CheckpointConversionError(ValueError):
    """The source does not fit the target model; names the keys at fault."""


def matching_config(h3r_cfg: dict) -> str:
    """The shipped config for an H3R model's dataset, backbone, box and size."""
    arch = str(h3r_cfg['BACKBONE']['ARCH']).lower()
    if arch not in ARCHS:
        raise CheckpointConversionError(
            f'no config here for BACKBONE.ARCH={arch!r} (known: {", ".join(ARCHS)})'
        )
    name = str(h3r_cfg['INPUT']['DATASET'])
    dataset = DATASETS.get(name.upper())
    if dataset is None:
        raise CheckpointConversionError(
            f'no config here for INPUT.DATASET={name!r} (known: {", ".join(DATASETS)})'
        )
    box = str(h3r_cfg['INPUT']['BBOX']).lower()
    w, h = (int(v) for v in h3r_cfg['INPUT']['SIZE'])
    config = f'{CONFIG_DIR}/{dataset}/td-hm_{ARCHS[arch]}_rr-8xb64-60e_{dataset}-{box}-{w}x{h}.py'
    try:
        return config_path(config)
    except FileNotFoundError as err:
        raise CheckpointConversionError(
            f'no config here for {arch} {dataset} {box} {w}x{h}: {err}'
        ) from None


def _mobilenet_key(key: str) -> str:
    """``features.<i>.<rest>`` -> MMPose's MobileNetV2 key."""
    match = re.fullmatch(r'features\.(\d+)\.(.+)', key)
    if not match or int(match.group(1)) not in _MBV2_BLOCKS:
        return 'backbone.' + key  # reported as unexpected by the caller
    layer, block = _MBV2_BLOCKS[int(match.group(1))]
    rest = match.group(2)
    if block is None:  # stem: 0 conv, 1 BN (2 is the ReLU6)
        slot, _, param = rest.partition('.')
        kind = {'0': 'conv', '1': 'bn'}.get(slot, f'?{slot}')
        return f'backbone.conv1.{kind}.{param}'
    slot_match = re.fullmatch(r'conv\.(\d+)\.(.+)', rest)
    if not slot_match:
        return f'backbone.{layer}.{block}.{rest}'
    # Slot 3m is the m-th ConvModule's conv, 3m + 1 its BN (3m + 2: ReLU6).
    slot, param = int(slot_match.group(1)), slot_match.group(2)
    kind = {0: 'conv', 1: 'bn'}.get(slot % 3, f'?{slot}')
    return f'backbone.{layer}.{block}.conv.{slot // 3}.{kind}.{param}'


def _h3r_mobilenet_key(key: str) -> str:
    """The inverse of :func:`_mobilenet_key` (MMPose key without ``backbone.``)."""
    stem = re.fullmatch(r'conv1\.(conv|bn)\.(.+)', key)
    if stem:
        return f'features.0.{0 if stem.group(1) == "conv" else 1}.{stem.group(2)}'
    match = re.fullmatch(r'(layer\d+)\.(\d+)\.conv\.(\d+)\.(conv|bn)\.(.+)', key)
    if not match or (match.group(1), int(match.group(2))) not in _MBV2_FEATURES:
        raise KeyError(f"backbone.{key}: not a key of H3R's MobileNetV2")
    layer, block, module, kind, param = match.groups()
    slot = 3 * int(module) + (0 if kind == 'conv' else 1)
    return f'features.{_MBV2_FEATURES[(layer, int(block))]}.conv.{slot}.{param}'


def convert_state_dict(state: dict[str, torch.Tensor], arch: str) -> dict[str, torch.Tensor]:
    """Rename H3R keys to this package's model keys."""
    out = OrderedDict()
    for key, value in state.items():
        key = key.removeprefix('module.')
        if key.startswith('heatmap_head.head.layers.'):
            new = key.removeprefix('heatmap_head.')
        elif key.startswith('backbone.') and arch == 'mobilenetv2':
            new = _mobilenet_key(key.removeprefix('backbone.'))
        else:
            new = key
        out[new] = value
    return out


def h3r_state_dict(state: dict[str, torch.Tensor], arch: str) -> dict[str, torch.Tensor]:
    """An MMPose state dict of this package's H3R models in H3R's released
    layout (the inverse of :func:`convert_state_dict`), e.g. to run a model
    trained here through H3R's own code."""
    out = OrderedDict()
    for key, value in state.items():
        if key.startswith('head.layers.'):
            out['heatmap_head.' + key] = value
        elif key.startswith('backbone.') and arch == 'mobilenetv2':
            out['backbone.' + _h3r_mobilenet_key(key.removeprefix('backbone.'))] = value
        elif key.startswith('backbone.'):
            out[key] = value
        else:
            raise KeyError(f"{key}: H3R's models have no such part")
    return out


def check_against(converted: dict[str, torch.Tensor], model: torch.nn.Module) -> None:
    """Every model key present, none extra, every shape equal."""
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


def _flip_indices(cfg: Config) -> list[int]:
    from mmpose.datasets.datasets.utils import parse_pose_metainfo
    from mmpose.registry import DATASETS as MMPOSE_DATASETS

    dataset = cfg.test_dataloader.dataset
    metainfo = dataset.get('metainfo') or MMPOSE_DATASETS.get(dataset.type).METAINFO
    return list(parse_pose_metainfo(dict(metainfo))['flip_indices'])


def check_settings(h3r_cfg: dict, cfg: Config) -> None:
    """H3R's inference settings against an MMPose config's: what the keys
    cannot show (a config for another input size or flip order loads the
    same weights and gives other landmarks)."""
    inputs, heatmap = h3r_cfg['INPUT'], h3r_cfg['HEATMAP']
    codec = cfg.model.head.decoder
    size = tuple(int(v) for v in inputs['SIZE'])
    found = {
        'INPUT.SIZE': (size, tuple(codec['input_size'])),
        'HEATMAP.STRIDE': (
            float(heatmap['STRIDE']),
            codec['input_size'][0] / codec['heatmap_size'][0],
        ),
        'HEATMAP.TOPK': (heatmap['TOPK'], codec.get('topk', 9)),
        'HEATMAP.OUT_CHANNEL': (heatmap['OUT_CHANNEL'], cfg.model.head.out_channels),
        'INPUT.FLIP': (bool(inputs['FLIP']), bool(cfg.model.test_cfg.get('flip_test', False))),
    }
    if inputs['FLIP']:
        found['INPUT.FLIP_ORDER'] = (list(inputs['FLIP_ORDER']), _flip_indices(cfg))
    wrong = [f'{k}: H3R {a} != config {b}' for k, (a, b) in found.items() if a != b]
    if wrong:
        raise CheckpointConversionError(f'{cfg.filename}: ' + '; '.join(wrong))


def convert_h3r_checkpoint(
    model_dir: str | Path, out_path: str | Path, config: str | Path | None = None
) -> Path:
    """Read ``model_dir`` (config.yaml + model.pth) and write an MMPose
    checkpoint for ``config`` (default: the matching shipped config).

    The checkpoint's ``meta`` holds the config's path and text (as
    mmengine's own checkpoints hold ``cfg``, so the checkpoint still says
    what it is for on another machine) and H3R's merged configuration.
    Nothing is written unless every key maps onto the model
    with its shape and the inference settings agree.
    """
    from mmpose.registry import MODELS
    from mmpose.utils import register_all_modules

    register_all_modules()
    model_dir = Path(model_dir)
    h3r_cfg = load_h3r_config(model_dir)
    config = str(config) if config else matching_config(h3r_cfg)
    weights = model_dir / 'model.pth'
    if not weights.is_file():
        raise FileNotFoundError(f'{weights}: missing H3R weights')
    with weights.open('rb') as file:
        if file.read(len(LFS_POINTER)) == LFS_POINTER:
            raise CheckpointConversionError(
                f'{weights}: a Git LFS pointer, not the weights (a plain git clone of H3R '
                'holds only these): run `git lfs pull` in the clone, or take the models '
                "from the Google Drive archive H3R's README links"
            )
    try:
        state = torch.load(weights, map_location='cpu', weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError) as error:
        raise CheckpointConversionError(f'{weights}: not a readable torch file ({error})') from None
    state = state.get('state_dict', state) if isinstance(state, dict) else state
    if not isinstance(state, dict):
        raise CheckpointConversionError(f'{weights}: expected a state dict, got {type(state)}')
    converted = convert_state_dict(state, str(h3r_cfg['BACKBONE']['ARCH']).lower())

    cfg = Config.fromfile(config)
    check_settings(h3r_cfg, cfg)
    cfg.model.backbone.init_cfg = None
    check_against(converted, MODELS.build(cfg.model))

    out_path = Path(out_path)
    with atomic_output(out_path) as tmp:
        torch.save(
            dict(
                state_dict=converted,
                meta=dict(
                    source=str(model_dir),
                    config=config,
                    cfg=cfg.pretty_text,
                    h3r_config=h3r_cfg,
                ),
            ),
            tmp,
        )
    return out_path


def checkpoint_config(meta: dict) -> Config:
    """The config a converted checkpoint's ``meta`` names: its file where
    that still exists, else the text stored with the checkpoint."""
    if Path(meta['config']).is_file():
        return Config.fromfile(meta['config'])
    return Config.fromstring(meta['cfg'], file_format='.py')
