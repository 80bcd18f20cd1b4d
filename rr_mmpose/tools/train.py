"""MMPose's own tools/train.py with rr_mmpose imported first.

python -m rr_mmpose.tools.train CONFIG [options of MMPose's train.py]
torchrun --nproc_per_node=2 -m rr_mmpose.tools.train CONFIG --launcher pytorch
"""

from .launcher import tool_main

if __name__ == '__main__':
    tool_main('train.py')
