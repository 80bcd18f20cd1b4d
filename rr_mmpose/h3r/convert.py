"""Convert a released H3R model directory to an MMPose checkpoint.

    python -m rr_mmpose.h3r.convert MODEL_DIR OUT.pth [--config CONFIG]
        [--inference-config OUT.py]

MODEL_DIR holds H3R's config.yaml and model.pth. config.yaml is merged over
H3R's defaults and picks the matching shipped config (dataset, backbone,
box protocol, input size) unless --config is given. Nothing is written if
any key or inference setting does not fit.

--inference-config also writes that config as a whole inference config
with H3R's inference (its crop-and-resize and raw-logit decoding), which
matches H3R's pipeline as rebuilt from its source
(``rr_mmpose.testing.h3r_reference``, checked with random weights): use it
in place of the config with MMPose's tools/test.py or MMPoseInferencer.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import torch

from rr_mmpose.utils.atomic_write import atomic_output

from .checkpoint import checkpoint_config, convert_h3r_checkpoint
from .inference_config import h3r_inference_config


def write_inference_config(meta: dict, out: str | Path) -> Path:
    """Dump the config a converted checkpoint's ``meta`` names, turned into
    H3R's inference config (with the model's own ``INPUT.SCALE``), to ``out``."""
    cfg = h3r_inference_config(checkpoint_config(meta), scale=meta['h3r_config']['INPUT']['SCALE'])
    with atomic_output(out, suffix='.py') as tmp:
        cfg.dump(tmp)
    return Path(out)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog='python -m rr_mmpose.h3r.convert', description=__doc__.splitlines()[0]
    )
    parser.add_argument('model_dir', help="H3R's model directory (config.yaml, model.pth)")
    parser.add_argument('out', help='the MMPose checkpoint to write')
    parser.add_argument('--config', help='the MMPose config (default: the matching shipped one)')
    parser.add_argument(
        '--inference-config',
        type=Path,
        help="also write the config as an inference config with H3R's crop and decoder",
    )
    args = parser.parse_args(argv)
    try:
        checkpoint = convert_h3r_checkpoint(args.model_dir, args.out, args.config)
    except (FileNotFoundError, ValueError) as error:  # refused before anything is written
        raise SystemExit(f'error: {error}; nothing written') from None
    meta = torch.load(checkpoint, map_location='cpu', weights_only=True)['meta']
    print(f'{checkpoint} (for {meta["config"]}: the config to test, export or infer it with)')
    if args.inference_config:
        print(write_inference_config(meta, args.inference_config))


if __name__ == '__main__':
    main()
