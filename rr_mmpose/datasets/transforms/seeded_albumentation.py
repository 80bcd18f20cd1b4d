"""MMPose's ``Albumentation`` made repeatable under ``randomness=dict(seed=...)``."""

from __future__ import annotations

import numpy as np
from mmpose.datasets.transforms import Albumentation
from mmpose.registry import TRANSFORMS


@TRANSFORMS.register_module()
class SeededAlbumentation(Albumentation):
    """MMPose's ``Albumentation``, its draws taken from numpy's global
    generator so that a seeded run repeats.

    albumentations (1.4.18 and later) gives every ``Compose`` generators of
    its own, seeded from the operating system when no seed is given, and
    MMPose's wrapper gives none: two runs of the same config and seed then
    blur and cut out differently, and RTMPose's training curves differ from
    run to run. Before each sample this transform reseeds the ``Compose``
    from numpy's global generator, which MMEngine seeds in every process
    and loader worker from ``randomness=dict(seed=...)``, as it does for
    MMPose's other random transforms. Each sample still draws afresh.

    Args, as ``Albumentation``'s:
        transforms (list[dict]): albumentations transforms, as configs
        keymap (dict, optional): results key to albumentations key
            (default ``{'img': 'image'}``)

    Example::

        dict(type='SeededAlbumentation', transforms=[dict(type='Blur', p=0.1)])
    """

    def transform(self, results: dict) -> dict:
        self.aug.set_random_seed(int(np.random.randint(2**31)))
        return super().transform(results)
