"""Helpers for tests and studies, as MMPose keeps them in ``mmpose.testing``.

- :mod:`~rr_mmpose.testing.generated_faces`: run any face config on the
  generated faces (``rr_mmpose.datasets.generate_dataset``) on a CPU;
- :mod:`~rr_mmpose.testing.h3r_reference`: H3R's inference rebuilt from its
  source without MMPose or the converter, the other side of every parity
  check;
- :mod:`~rr_mmpose.testing.h3r_parity`: converted H3R models against that
  reference;
- :mod:`~rr_mmpose.testing.rtmpose_published`: RTMPose's complexity as
  MMPose publishes it, for the RTMPose configs here.

Nothing here is imported by ``import rr_mmpose``, and the converter never
imports the reference.
"""

from .generated_faces import GENERATED_FACES_CONFIG, on_generated_faces

__all__ = ['GENERATED_FACES_CONFIG', 'on_generated_faces']
