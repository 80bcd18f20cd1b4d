"""Independent re-implementations of H3R's released inference, to check
converted checkpoints and the H3R pipeline option against."""

from .h3r_reference import (
    H3RHRNet,
    H3RMobileNetV2,
    H3RReferencePipeline,
    calibrate_batch_norm,
    h3r_decode,
    h3r_state_dict,
    randomise_batch_norm,
    write_h3r_model_dir,
)

__all__ = [
    'H3RHRNet',
    'H3RMobileNetV2',
    'H3RReferencePipeline',
    'calibrate_batch_norm',
    'h3r_decode',
    'h3r_state_dict',
    'randomise_batch_norm',
    'write_h3r_model_dir',
]
