"""Make MMEngine checkpoints loadable under torch's ``weights_only`` default.

torch >= 2.6 unpickles checkpoints with ``weights_only=True``. MMEngine
0.10.7 stores numpy arrays (dataset meta, message hub) and its own
``HistoryBuffer`` in checkpoints, so its own ``load_checkpoint``, resume and
test fail with ``UnpicklingError``. Rather than turning the safe loader off,
allow exactly those types: loading stays restricted to tensors, containers
and this list.
"""

from typing import List

import numpy as np
import torch
from mmengine.logging import HistoryBuffer


def mmengine_checkpoint_globals() -> List[type]:
    """The non-tensor types found in MMEngine/MMPose checkpoints."""
    numpy_dtypes = {type(np.dtype(t)) for t in np.sctypeDict.values()}
    return [
        np._core.multiarray._reconstruct,
        np._core.multiarray.scalar,
        np.ndarray,
        np.dtype,
        *sorted(numpy_dtypes, key=lambda t: t.__name__),
        HistoryBuffer,
    ]


def allow_mmengine_checkpoints() -> None:
    """Register :func:`mmengine_checkpoint_globals` as safe for
    ``torch.load(weights_only=True)``. Idempotent; called on import."""
    torch.serialization.add_safe_globals(mmengine_checkpoint_globals())
