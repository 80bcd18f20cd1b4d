"""Convert a released H3R model directory to an MMPose checkpoint.

    python tools/convert_h3r_checkpoint.py MODEL_DIR OUT.pth [--config CONFIG]

MODEL_DIR holds H3R's config.yaml and model.pth. The matching config here
(dataset, backbone, box protocol, input size) is chosen from config.yaml
unless --config is given. Nothing is written if any key does not fit.
"""

import argparse

from rr_mmpose.deployment import convert_h3r_checkpoint

if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('model_dir')
    parser.add_argument('out')
    parser.add_argument('--config')
    args = parser.parse_args()
    print(convert_h3r_checkpoint(args.model_dir, args.out, args.config))
