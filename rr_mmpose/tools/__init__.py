"""MMPose's own ``tools/train.py`` and ``tools/test.py``, run from the
installed package: ``python -m rr_mmpose.tools.train CONFIG`` and
``python -m rr_mmpose.tools.test CONFIG CHECKPOINT``.

They import rr_mmpose first and make ``--launcher pytorch`` work on
CPU-only machines (:func:`~rr_mmpose.tools.launcher.cpu_distributed_argv`).
This package imports nothing on its own, so ``python -m`` runs each module
once.
"""
