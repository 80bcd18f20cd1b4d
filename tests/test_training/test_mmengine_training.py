"""Real training, checkpointing, resuming and testing through MMEngine."""

import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.runner import Runner
from mmpose.apis import inference_topdown, init_model

from rr_mmpose.utils import mmpose_tool

from ..helpers import DEMO_CONFIG, REPO, read_json, tiny_run_config

pytestmark = pytest.mark.slow  # trains or launches processes


@pytest.fixture(scope='module')
def trained(tiny_faces, tmp_path_factory):
    """One epoch of the demo model on the tiny split: (config, checkpoint)."""
    work_dir = tmp_path_factory.mktemp('train')
    cfg = tiny_run_config(tiny_faces, work_dir)
    runner = Runner.from_cfg(cfg)
    runner.train()
    checkpoint = work_dir / 'epoch_1.pth'
    assert checkpoint.is_file()
    return cfg, checkpoint


def test_training_step_reduces_the_loss(tiny_faces, tmp_path):
    cfg = tiny_run_config(tiny_faces, tmp_path)
    runner = Runner.from_cfg(cfg)
    model = runner.model
    optim = runner.build_optim_wrapper(cfg.optim_wrapper)
    batch = next(iter(runner.build_dataloader(cfg.train_dataloader)))
    model.train()
    losses = []
    for _ in range(5):
        log_vars = model.train_step(batch, optim)
        losses.append(float(log_vars['loss_kpt'].detach()))
    assert np.isfinite(losses).all()
    assert losses[-1] < losses[0]


def test_checkpoint_loads_with_torch_weights_only(trained):
    _, checkpoint = trained
    # torch >= 2.6 defaults to weights_only=True; rr_mmpose allows exactly
    # MMEngine's numpy / HistoryBuffer entries.
    state = torch.load(checkpoint, map_location='cpu', weights_only=True)
    assert 'state_dict' in state and 'message_hub' in state


def test_checkpoint_predicts_through_mmpose_apis(trained, tiny_faces):
    cfg, checkpoint = trained
    model = init_model(cfg, str(checkpoint), device='cpu')
    doc = read_json(tiny_faces / 'annotations' / 'face_landmarks_300w_test.json')
    ann = doc['annotations'][0]
    x, y, w, h = ann['bbox']
    image = tiny_faces / 'images' / doc['images'][0]['file_name']
    (result,) = inference_topdown(model, str(image), bboxes=np.array([[x, y, x + w, y + h]]))
    keypoints = result.pred_instances.keypoints
    assert keypoints.shape == (1, 68, 2) and np.isfinite(keypoints).all()


def test_resume_continues_from_the_checkpoint(trained, tmp_path):
    cfg, checkpoint = trained
    cfg = cfg.copy()
    cfg.work_dir = str(tmp_path)
    cfg.train_cfg.max_epochs = 2
    cfg.resume = True
    cfg.load_from = str(checkpoint)
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.epoch == 2
    assert (tmp_path / 'epoch_2.pth').is_file()


def test_runner_test_reports_nme(trained):
    cfg, checkpoint = trained
    cfg = cfg.copy()
    cfg.load_from = str(checkpoint)
    metrics = Runner.from_cfg(cfg).test()
    assert 'NME' in metrics and np.isfinite(metrics['NME'])


def test_mmpose_own_tools_train_and_test(tiny_faces, tmp_path):
    """MMPose's unmodified tools/train.py and tools/test.py, loading
    rr_mmpose only through the config's custom_imports."""
    env = dict(os.environ, PYTHONWARNINGS='ignore')
    common = [
        '--cfg-options',
        f'train_dataloader.dataset.data_root={tiny_faces}',
        f'val_dataloader.dataset.data_root={tiny_faces}',
        f'test_dataloader.dataset.data_root={tiny_faces}',
        'train_dataloader.batch_size=8',
        'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'val_dataloader.num_workers=0',
        'val_dataloader.persistent_workers=False',
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False',
    ]
    work_dir = tmp_path / 'work'
    subprocess.run(
        [
            sys.executable,
            str(mmpose_tool('train.py')),
            str(DEMO_CONFIG),
            '--work-dir',
            str(work_dir),
            *common,
            'train_cfg.max_epochs=1',
            'train_cfg.val_interval=1',
            'default_hooks.checkpoint.interval=1',
        ],
        check=True,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    checkpoint = work_dir / 'epoch_1.pth'
    assert checkpoint.is_file()
    out = subprocess.run(
        [
            sys.executable,
            str(mmpose_tool('test.py')),
            str(DEMO_CONFIG),
            str(checkpoint),
            '--work-dir',
            str(tmp_path / 'test'),
            *common,
        ],
        check=True,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    assert 'NME' in out.stdout + out.stderr


def test_weights_only_still_refuses_arbitrary_getattr(tmp_path):
    """The getattr stand-in only serves HistoryBuffer's statistics methods."""
    import pickle

    from mmengine.logging import HistoryBuffer

    class Evil:
        def __reduce__(self):
            return getattr, (HistoryBuffer, 'update')

    path = tmp_path / 'evil.pth'
    torch.save({'x': Evil()}, path)
    with pytest.raises(pickle.UnpicklingError, match='only HistoryBuffer'):
        torch.load(path, weights_only=True)


def test_inferencer_takes_user_boxes(trained, tiny_faces):
    """MMPoseInferencer with this repository's config and a new checkpoint,
    fed the face box through use_face_boxes (MMPose 1.3.2 ignores bboxes=)."""
    from mmpose.apis import MMPoseInferencer

    from rr_mmpose.apis import FixedFaceBoxes, HaarFaceDetector, use_face_boxes

    cfg, checkpoint = trained
    doc = read_json(tiny_faces / 'annotations' / 'face_landmarks_300w_test.json')
    x, y, w, h = doc['annotations'][0]['bbox']
    image = str(tiny_faces / 'images' / doc['images'][0]['file_name'])
    inferencer = MMPoseInferencer(
        pose2d=str(DEMO_CONFIG),
        pose2d_weights=str(checkpoint),
        device='cpu',
        det_model='whole_image',
    )
    use_face_boxes(inferencer, FixedFaceBoxes([[x, y, x + w, y + h]]))
    result = next(inferencer(image))
    (face,) = result['predictions'][0]
    np.testing.assert_allclose(face['bbox'][0], [x, y, x + w, y + h], atol=1e-3)
    assert np.array(face['keypoints']).shape == (68, 2)
    # The Haar cascade loads offline; on a blank image it finds no face, and
    # MMPose then falls back to the whole image.
    assert HaarFaceDetector().detect(np.zeros((64, 64, 3), np.uint8)).shape == (0, 4)


def test_fixed_face_boxes_reject_bad_boxes():
    from rr_mmpose.apis import FixedFaceBoxes

    with pytest.raises(ValueError, match='boxes must be finite'):
        FixedFaceBoxes([[10, 10, 5, 20]])
    with pytest.raises(ValueError, match='boxes must be finite'):
        FixedFaceBoxes([[0, 0, np.nan, 20]])
