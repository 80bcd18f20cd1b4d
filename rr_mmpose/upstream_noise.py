"""Silence the upstream warnings a user can do nothing about, each by its
message, so that what is left in a log is worth reading.

Each entry says where the warning comes from and why nothing is to be done:

- ``pkg_resources is deprecated``: mmengine 0.10.7 imports
  ``pkg_resources`` to find packages; setuptools is pinned below its
  removal for that reason (tools/setup_env.sh).
- ``The metainfo config file ... does not exist``: MMPose's face datasets
  name their metainfo by a path relative to MMPose's own checkout and then
  find it inside the installed package, which is right.
- ``Use the existing "bbox_center" and "bbox_scale"``: MMPose's
  ``GetBBoxCenterScale`` on datasets that store both, which its face
  datasets do; the padding is applied as intended.
- ``... is not pixel-level transformations``: MMPose's ``Albumentation``
  looks for Blur, MedianBlur and CoarseDropout in a module albumentations
  1.4 moved them out of; they are pixel-level, as RTMPose's recipe uses them.
- ``` `max_holes` is deprecated``` (and the other five CoarseDropout size
  names): RTMPose's recipe, which the rr_simcc configs keep, gives hole
  sizes as fractions of the image; albumentations 1.4.24's new names refuse
  fractions (its issue 2227, fixed after the 1.4 line), the old ones still
  work.
- ``torch.cuda.amp.autocast(args...)`` is deprecated: mmdet 3.3's
  CSPNeXt blocks (RTMPose's backbone) call the old API on every forward.
- ``... instance named of visualizer has been created``: MMPose's
  ``init_model`` asks mmengine for its visualizer again when a second
  model is built in the same process; mmengine returns the existing one.
- ``Conversion of an array with ndim > 0 to a scalar is deprecated``:
  MMPose's OpenCV visualizer draws landmarks with ``int()`` of an array
  (numpy is pinned below the release that makes it an error).
- ``A new version of Albumentations is available``: albumentations asks
  PyPI for a newer release on import; RTMPose's recipes need the pinned
  1.4 line. ``NO_ALBUMENTATIONS_UPDATE=1`` (set here unless set) skips the
  network call too.
- ``The prefix is not set in metric class NME``, ``"FileClient" will be
  deprecated``, ``"HardDiskBackend" is the alias of "LocalBackend"``:
  mmengine logs these when MMPose's ``NME`` (which has no default prefix)
  and MMPose's own loaders are built.
- ``Failed to search registry with scope "mmpose" in the "function"
  registry tree``: MMPose's inferencer looks its collate function up in a
  registry MMPose does not have, then uses mmengine's, which is right.
"""

from __future__ import annotations

import logging
import os
import re
import warnings
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mmengine.logging import MMLogger

WARNINGS = (
    (UserWarning, r'pkg_resources is deprecated as an API'),
    (UserWarning, r'The metainfo config file ".*" does not exist'),
    (UserWarning, r'Use the existing "bbox_center" and "bbox_scale"'),
    (UserWarning, r'A new version of Albumentations is available'),
    (UserWarning, r'(Blur|MedianBlur|CoarseDropout) is not pixel-level transformations'),
    (DeprecationWarning, r'`(max|min)_(holes|height|width)` is deprecated'),
    (FutureWarning, r'`torch\.cuda\.amp\.autocast\(args\.\.\.\)` is deprecated'),
    (UserWarning, r'.* instance named of visualizer has been created'),
    (DeprecationWarning, r'Conversion of an array with ndim > 0 to a scalar is deprecated'),
)
LOG_MESSAGES = re.compile(
    r'The prefix is not set in metric class NME\.'
    r'|"FileClient" will be deprecated in future'
    r'|"HardDiskBackend" is the alias of "LocalBackend"'
    r'|Failed to search registry with scope "mmpose" in the "function" registry tree'
)


def is_upstream_noise(record: logging.LogRecord) -> bool:
    """Whether a log record is one of the messages listed above."""
    return bool(LOG_MESSAGES.match(record.getMessage()))


def silence_upstream_warnings() -> None:
    """Filter the Python warnings above, by message. Needs no import, so
    ``rr_mmpose`` calls it before importing mmengine."""
    for category, message in WARNINGS:
        warnings.filterwarnings('ignore', message=message, category=category)
    os.environ.setdefault('NO_ALBUMENTATIONS_UPDATE', '1')


def silence_upstream_logs() -> None:
    """Drop mmengine's log messages above through ``MMLogger``'s filter
    (every MMEngine logger instance). Idempotent."""
    from mmengine.logging import MMLogger

    if getattr(MMLogger.filter, 'drops_upstream_noise', False):
        return
    keep = MMLogger.filter

    def filter(self: MMLogger, record: logging.LogRecord) -> bool:  # noqa: A001  (logging.Filterer's name)
        return not is_upstream_noise(record) and keep(self, record)

    filter.drops_upstream_noise = True
    MMLogger.filter = filter
