"""The shipped RTMPose configs keep MMPose's training recipe (the config
each names first in its header comment) for users with the pretrained
backbone: optimizer, schedule, epochs, EMA, the pipeline switch, both train
pipelines but for their input size and codec, and the batch. The model and
the data are not compared here (each config's header says what it changes);
the RTMPose study's from-scratch recipe lives in the study, not here."""

import re
from pathlib import Path

import mmpose
import pytest
from mmengine.config import Config

from ..helpers import CONFIGS

SIMCC_CONFIGS = sorted((CONFIGS / 'face_2d_keypoint' / 'rr_simcc').rglob('*.py'))
MMPOSE_CONFIGS = Path(mmpose.__file__).parent / '.mim' / 'configs'
RECIPE = re.compile(r'face_2d_keypoint/rtmpose/\S+\.py')


def recipe_of(config: Path) -> Config:
    """The MMPose config that ``config``'s header comment names first: its
    recipe."""
    lines = config.read_text().splitlines()
    comment = lines[: next(i for i, line in enumerate(lines) if not line.startswith('#'))]
    header = ' '.join(line.lstrip('# ') for line in comment)
    found = RECIPE.search(header)
    assert found, f'{config.name} names no MMPose recipe in its header'
    return Config.fromfile(str(MMPOSE_CONFIGS / found.group()))


def recipe_pipeline(pipeline: list) -> list:
    """A pipeline with what the shipped configs change by design set aside:
    the input size and the target codec."""
    out = []
    for step in pipeline:
        step = dict(step)
        if step['type'] == 'TopdownAffine':
            step.pop('input_size')
        if step['type'] == 'GenerateTarget':
            step.pop('encoder')
        out.append(step)
    return out


def test_every_rtmpose_config_is_checked():
    assert len(SIMCC_CONFIGS) == 9


@pytest.mark.parametrize('config', SIMCC_CONFIGS, ids=lambda p: p.name)
def test_a_shipped_rtmpose_config_keeps_mmposes_recipe(config):
    ours, theirs = Config.fromfile(str(config)), recipe_of(config)
    for key in ('optim_wrapper', 'param_scheduler', 'train_cfg', 'auto_scale_lr'):
        assert ours[key] == theirs[key], key
    assert ours.train_dataloader.batch_size == theirs.train_dataloader.batch_size
    assert recipe_pipeline(ours.train_dataloader.dataset.pipeline) == recipe_pipeline(
        theirs.train_dataloader.dataset.pipeline
    )
    hooks = {h['type']: dict(h) for h in ours.custom_hooks}
    mmpose_hooks = {h['type']: dict(h) for h in theirs.custom_hooks}
    assert hooks.keys() == mmpose_hooks.keys()
    assert hooks['EMAHook'] == mmpose_hooks['EMAHook']
    switch, mmpose_switch = (
        hooks['mmdet.PipelineSwitchHook'],
        mmpose_hooks['mmdet.PipelineSwitchHook'],
    )
    assert switch['switch_epoch'] == mmpose_switch['switch_epoch']
    assert recipe_pipeline(switch['switch_pipeline']) == recipe_pipeline(
        mmpose_switch['switch_pipeline']
    )
