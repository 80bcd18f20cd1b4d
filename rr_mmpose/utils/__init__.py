from .checkpoint import allow_mmengine_checkpoints, mmengine_checkpoint_globals
from .mmpose_tools import mmpose_config, mmpose_tool, run_mmpose_tool

__all__ = [
    'allow_mmengine_checkpoints',
    'mmengine_checkpoint_globals',
    'mmpose_config',
    'mmpose_tool',
    'run_mmpose_tool',
]
