"""Run the tools shipped inside the installed mmpose in this process, with
CPU distributed training made to work."""

from __future__ import annotations

import os
import runpy
import sys
from collections.abc import Sequence
from pathlib import Path

import torch
import torch.distributed as dist

from rr_mmpose.utils import config_path, mmpose_tool

# What MMEngine 0.10.7 needs to train across CPU processes: a gloo backend
# and DDP without device ids (it passes [LOCAL_RANK], which CPU modules refuse).
CPU_DISTRIBUTED_OPTIONS = [
    'env_cfg.dist_cfg.backend=gloo',
    'model_wrapper_cfg.type=MMDistributedDataParallel',
    'model_wrapper_cfg.device_ids=None',
    'model_wrapper_cfg.broadcast_buffers=False',
]


def cpu_distributed_argv(argv: Sequence[str]) -> list[str]:
    """Make ``--launcher pytorch`` work without GPUs.

    MMEngine's pytorch launcher calls ``torch.cuda.set_device`` before
    creating the process group, which fails without CUDA. The Runner skips
    its own initialisation when a group exists, so create a gloo group here
    and add :data:`CPU_DISTRIBUTED_OPTIONS`. Returns ``argv`` unchanged on
    GPU machines or without the pytorch launcher.
    """
    argv = list(argv)
    launched = '--launcher=pytorch' in argv or any(
        a == '--launcher' and b == 'pytorch' for a, b in zip(argv, argv[1:])
    )
    if not launched or torch.cuda.is_available() or 'LOCAL_RANK' not in os.environ:
        return argv
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo')
    if '--cfg-options' in argv:
        at = argv.index('--cfg-options') + 1
        return argv[:at] + CPU_DISTRIBUTED_OPTIONS + argv[at:]
    return argv + ['--cfg-options', *CPU_DISTRIBUTED_OPTIONS]


def shipped_config_argv(argv: Sequence[str]) -> list[str]:
    """Let the config argument (the first) name a shipped config from any
    folder, as the README's commands do: a path that does not exist here is
    looked up among the installed package's configs, with or without the
    checkout's leading ``configs/``. Returns ``argv`` with it made absolute,
    or unchanged when the path exists here.

    Raises:
        SystemExit: No such file here and no such shipped config; the
            message lists the nearest shipped names.
    """
    argv = list(argv)
    if not argv or argv[0].startswith('-') or '::' in argv[0] or Path(argv[0]).exists():
        return argv  # an option first, another package's scope, or a file here
    parts = Path(argv[0]).parts
    name = Path(*parts[1:]).as_posix() if parts[:1] == ('configs',) and parts[1:] else argv[0]
    try:
        argv[0] = config_path(name)
    except (FileNotFoundError, ValueError) as error:
        raise SystemExit(f'{argv[0]}: no such config file here; {error}') from None
    return argv


def run_mmpose_tool(name: str, argv: Sequence[str]) -> None:
    """Run MMPose's tool in this process, as ``python tools/<name> argv``,
    with a shipped config found by name (:func:`shipped_config_argv`).

    A process group the run created (ours on CPU, MMEngine's on GPU) is
    destroyed when the tool returns or raises: left to interpreter shutdown,
    gloo's worker threads can outlive Python and abort the process
    (``terminate called without an active exception``) after a finished run.
    """
    path = mmpose_tool(name)
    had_group = dist.is_available() and dist.is_initialized()
    try:
        sys.argv = [str(path), *cpu_distributed_argv(shipped_config_argv(argv))]
        runpy.run_path(str(path), run_name='__main__')
    finally:
        if not had_group and dist.is_available() and dist.is_initialized():
            dist.destroy_process_group()


def tool_main(name: str, argv: Sequence[str] | None = None) -> None:
    """Entry point of ``python -m rr_mmpose.tools.<train|test>`` and the
    ``tools/`` wrappers: import rr_mmpose (registers the codecs, heads and
    losses), then run MMPose's ``tools/<name>`` with ``argv`` (default: the
    command line)."""
    import rr_mmpose  # noqa: F401

    run_mmpose_tool(name, sys.argv[1:] if argv is None else argv)
