"""MMPose's own tools/test.py with rr_mmpose imported first.

python -m rr_mmpose.tools.test CONFIG CHECKPOINT [options of MMPose's test.py]
"""

from .launcher import tool_main

if __name__ == '__main__':
    tool_main('test.py')
