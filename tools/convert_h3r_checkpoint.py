"""Convert a released H3R model directory to an MMPose checkpoint.

    python tools/convert_h3r_checkpoint.py MODEL_DIR OUT.pth [--config CONFIG]
        [--h3r-pipeline-config OUT.py]

MODEL_DIR holds H3R's config.yaml and model.pth. The matching config here
(dataset, backbone, box protocol, input size) is chosen from config.yaml
unless --config is given. Nothing is written if any key does not fit.

--h3r-pipeline-config also writes that config with H3R's own inference
pipeline (its crop-and-resize and raw-logit decoding), for exact parity
with H3R's published numbers; use it with MMPose's tools/test.py or
MMPoseInferencer in place of the config.
"""

import argparse
from pathlib import Path

import torch

from rr_mmpose.apis import h3r_original_pipeline
from rr_mmpose.deployment import convert_h3r_checkpoint
from rr_mmpose.utils.atomic_write import atomic_output


def write_h3r_pipeline_config(checkpoint: Path, out: Path) -> Path:
    """Dump the converted checkpoint's config with H3R's pipeline to ``out``."""
    config = torch.load(checkpoint, map_location='cpu', weights_only=True)['meta']['config']
    cfg = h3r_original_pipeline(config)
    with atomic_output(out, suffix='.py') as tmp:
        cfg.dump(tmp)
    return out


if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('model_dir')
    parser.add_argument('out')
    parser.add_argument('--config')
    parser.add_argument('--h3r-pipeline-config', type=Path)
    args = parser.parse_args()
    checkpoint = convert_h3r_checkpoint(args.model_dir, args.out, args.config)
    print(checkpoint)
    if args.h3r_pipeline_config:
        print(write_h3r_pipeline_config(checkpoint, args.h3r_pipeline_config))
