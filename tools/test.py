"""MMPose's own tools/test.py, with rr_mmpose imported first.

Configs here load rr_mmpose through custom_imports, so MMPose's unmodified
tool works as well; this wrapper only saves looking up where it lives.
"""

import sys

from mmpose_launcher import run_mmpose_tool  # tools/, beside this script

import rr_mmpose  # noqa: F401  (registers the codec, head and losses)

if __name__ == '__main__':
    run_mmpose_tool('test.py', sys.argv[1:])
