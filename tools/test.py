"""MMPose's own tools/test.py, with rr_mmpose imported first:
``python -m rr_mmpose.tools.test``.

Configs here load rr_mmpose through custom_imports, so MMPose's unmodified
tool works as well; this wrapper only saves looking up where it lives.
"""

from rr_mmpose.tools.launcher import tool_main

if __name__ == '__main__':
    tool_main('test.py')
