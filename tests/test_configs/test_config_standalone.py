"""Every config reads alone, MMPose style: its only base is MMPose's
default runtime, it re-binds nothing with ``_delete_`` and reads no
``{{_base_.x}}``, and it loads."""

import ast
from pathlib import Path

import pytest
from mmengine.config import Config

from ..helpers import CONFIGS as CONFIG_ROOT

CONFIGS = sorted(CONFIG_ROOT.rglob('*.py'))
BASES = ['mmpose::_base_/default_runtime.py']


def config_id(path: Path) -> str:
    return str(path.relative_to(CONFIG_ROOT))


def declared_bases(source: str) -> list:
    """The literal value of every top-level ``_base_ = ...`` assignment."""
    values = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == '_base_' for t in node.targets
        ):
            values.append(ast.literal_eval(node.value))
    return values


def test_configs_are_found():
    assert len(CONFIGS) >= 15


@pytest.mark.parametrize('config', CONFIGS, ids=config_id)
def test_config_reads_alone(config):
    source = config.read_text()
    assert declared_bases(source) == [BASES]
    assert '_delete_' not in source
    assert '{{_base_' not in source
    cfg = Config.fromfile(str(config))
    assert cfg.default_scope == 'mmpose'  # from MMPose's default runtime
    assert cfg.custom_imports == dict(imports=['rr_mmpose'], allow_failed_imports=False)
