"""Convert a released H3R model directory to an MMPose checkpoint.

    python tools/convert_h3r_checkpoint.py MODEL_DIR OUT.pth [--config CONFIG]
        [--inference-config OUT.py]

The same as ``python -m rr_mmpose.h3r.convert`` (see there).
"""

from rr_mmpose.h3r.convert import main

if __name__ == '__main__':
    main()
