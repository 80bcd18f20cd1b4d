"""Fixtures shared by the whole suite; shared helpers are in helpers.py."""

from pathlib import Path

import numpy as np
import pytest
from mmpose.utils import register_all_modules

import rr_mmpose  # noqa: F401  (registers the codecs, heads and losses)
from rr_mmpose.datasets import generate_dataset
from rr_mmpose.upstream_noise import WARNINGS

from .helpers import PAPER_NUM_TEST, PAPER_NUM_TRAIN, paper_config_on

# MMPose's scope, as its tools set it: models built straight from a config's
# `model` dict find MMPose's data preprocessor whatever test runs first.
register_all_modules()


def pytest_configure(config):
    """Ignore the upstream warnings nothing here can act on, each named by
    its message: the list ``import rr_mmpose`` silences (its module says
    why). Every other warning shows in the summary."""
    for category, message in WARNINGS:
        config.addinivalue_line('filterwarnings', f'ignore:{message}:{category.__name__}')


@pytest.fixture(scope='session')
def tiny_faces(tmp_path_factory) -> Path:
    """A tiny generated 300W-layout dataset: 16 train and 8 test faces."""
    root = tmp_path_factory.mktemp('generated_faces')
    generate_dataset(root, num_train=16, num_test=8, image_size=128, seed=0)
    return root


@pytest.fixture(scope='session')
def paper_faces(tmp_path_factory) -> Path:
    """Generated faces for the suite's paper-config training."""
    root = tmp_path_factory.mktemp('paper_faces')
    generate_dataset(root, num_train=PAPER_NUM_TRAIN, num_test=PAPER_NUM_TEST, seed=3)
    return root


@pytest.fixture(scope='session')
def paper_model(paper_faces, tmp_path_factory):
    """The shipped paper config trained from scratch on ``paper_faces`` for
    the suite's budget, once per session: ``(config, checkpoint)``, and the
    config's test NME as ``config.trained_nme``."""
    from mmengine.runner import Runner

    work_dir = tmp_path_factory.mktemp('paper_model')
    cfg = paper_config_on(paper_faces, work_dir)
    runner = Runner.from_cfg(cfg)
    runner.train()
    cfg.trained_nme = float(runner.val_loop.run()['NME'])
    runner.save_checkpoint(str(work_dir), 'trained.pth')
    return cfg, work_dir / 'trained.pth'


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


@pytest.fixture(scope='module')
def one_torch_thread():
    """One intra-op thread: on a shared 2-core machine two threads that wait
    for each other made the H3R networks up to 100x slower (measured)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
