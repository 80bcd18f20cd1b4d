"""Make MMEngine checkpoints loadable under torch's ``weights_only`` default.

torch >= 2.6 unpickles checkpoints with ``weights_only=True``. MMEngine
0.10.7 stores numpy arrays and scalars (dataset meta, message hub) and its
own ``HistoryBuffer`` in checkpoints, so its ``load_checkpoint``, resume and
test fail with ``UnpicklingError``. Rather than turning the safe loader off,
allow exactly what those checkpoints hold: loading stays restricted to
tensors, containers and this list.
"""

import pickle
from typing import Any

import numpy as np
import torch
from mmengine.logging import HistoryBuffer


def _history_buffer_method(owner: Any, name: str) -> Any:
    """Stands in for ``builtins.getattr`` when unpickling: the only
    ``getattr`` in MMEngine checkpoints fetches HistoryBuffer's registered
    statistics methods (``HistoryBuffer.min`` and the like)."""
    # The four built-in methods are registered only once a buffer exists.
    allowed = {'min', 'max', 'current', 'mean', *HistoryBuffer._statistics_methods}
    if owner is HistoryBuffer and name in allowed:
        return getattr(owner, name)
    raise pickle.UnpicklingError(
        f'checkpoint asks for getattr({owner!r}, {name!r}); only HistoryBuffer '
        'statistics methods are allowed'
    )


def mmengine_checkpoint_globals() -> list[Any]:
    """The non-tensor globals found in MMEngine/MMPose checkpoints."""
    numpy_dtypes = {type(np.dtype(t)) for t in np.sctypeDict.values()}
    return [
        np._core.multiarray._reconstruct,
        np._core.multiarray.scalar,
        np.ndarray,
        np.dtype,
        *sorted(numpy_dtypes, key=lambda t: t.__name__),
        bytes,
        HistoryBuffer,
        (_history_buffer_method, 'builtins.getattr'),
    ]


def allow_mmengine_checkpoints() -> None:
    """Register :func:`mmengine_checkpoint_globals` as safe for
    ``torch.load(weights_only=True)``. Idempotent; called on import."""
    torch.serialization.add_safe_globals(mmengine_checkpoint_globals())
