from .checkpoint import allow_mmengine_checkpoints, mmengine_checkpoint_globals
from .complexity import Complexity, model_complexity
from .config_path import config_path, configs_root, shipped_configs
from .mmpose_files import mmpose_config, mmpose_tool

__all__ = [
    'Complexity',
    'allow_mmengine_checkpoints',
    'config_path',
    'configs_root',
    'mmengine_checkpoint_globals',
    'mmpose_config',
    'mmpose_tool',
    'model_complexity',
    'shipped_configs',
]
