"""The One-Euro filter against hand computations, its registry, and
use_landmark_filter on a real MMPoseInferencer running MMPose's own video
path (frames read by mmcv, drawn video written by MMPose)."""

from __future__ import annotations

import json
import math

import cv2
import numpy as np
import pytest

from rr_mmpose.apis import (
    LANDMARK_FILTERS,
    OneEuroFilter,
    SequenceFaceBoxes,
    build_landmark_filter,
    use_face_boxes,
    use_landmark_filter,
)
from rr_mmpose.datasets.generate_video import render_clip, write_clip

from ..helpers import DEMO_CONFIG


def run_filter(filt, frames, timestamps=None) -> np.ndarray:
    timestamps = [None] * len(frames) if timestamps is None else timestamps
    return np.stack([filt(frame, t) for frame, t in zip(frames, timestamps)])


def alpha(cutoff: float, period: float) -> float:
    """The paper's smoothing factor."""
    return 1 / (1 + 1 / (2 * math.pi * cutoff * period))


# ---------------------------------------------------------------- the filter


def test_a_constant_signal_passes_unchanged(rng):
    still = rng.uniform(0, 100, (68, 2))
    out = run_filter(OneEuroFilter(min_cutoff=0.5, beta=0.1), [still] * 50)
    np.testing.assert_allclose(out, np.broadcast_to(still, out.shape), rtol=0, atol=1e-12)


def test_a_noisy_constant_gets_steadier(rng):
    noisy = 50 + rng.normal(0, 1, (300, 10, 2))
    out = run_filter(OneEuroFilter(min_cutoff=1.0, beta=0.0), noisy)
    # beta = 0 is an exponential smoother with alpha(1 Hz, 1/30 s): its
    # output variance is alpha / (2 - alpha) of the input's.
    a = alpha(1.0, 1 / 30)
    ratio = out[30:].var() / noisy[30:].var()
    assert ratio < 0.2
    assert ratio == pytest.approx(a / (2 - a), rel=0.3)
    assert abs(out[30:].mean() - 50) < 0.1


def test_with_beta_a_fast_ramp_lags_less():
    ramp = np.arange(60, dtype=np.float64)[:, None, None] * [10.0, 0.0]  # 300 pixels a second
    lag_plain = np.abs(run_filter(OneEuroFilter(beta=0.0), ramp) - ramp)[-1, 0, 0]
    lag_beta = np.abs(run_filter(OneEuroFilter(beta=0.05), ramp) - ramp)[-1, 0, 0]
    # beta = 0, steady state: an exponential smoother trails a ramp of v per
    # frame by v (1 - alpha) / alpha.
    a = alpha(1.0, 1 / 30)
    assert lag_plain == pytest.approx(10 * (1 - a) / a, rel=1e-3)
    assert lag_beta < lag_plain / 5


def test_one_step_by_hand():
    filt = OneEuroFilter(min_cutoff=1.0, beta=0.2, d_cutoff=2.0, fps=30)
    first = np.array([[0.0, 0.0]])
    np.testing.assert_array_equal(filt(first), first)  # the first frame passes
    x = np.array([[3.0, 4.0]])
    period = 1 / 30
    speed = alpha(2.0, period) * np.array([3.0, 4.0]) / period  # the filtered velocity
    a = alpha(1.0 + 0.2 * np.linalg.norm(speed), period)
    np.testing.assert_allclose(filt(x), a * x, rtol=1e-12)


def test_the_filter_ignores_the_orientation_of_the_axes(rng):
    track = np.cumsum(rng.normal(0, 2, (40, 5, 2)), axis=0)
    angle = 0.7
    rotate = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    out = run_filter(OneEuroFilter(beta=0.05), track)
    out_rotated = run_filter(OneEuroFilter(beta=0.05), track @ rotate.T)
    np.testing.assert_allclose(out_rotated, out @ rotate.T, atol=1e-9)


def test_timestamps(rng):
    track = np.cumsum(rng.normal(0, 1, (20, 3, 2)), axis=0)
    by_fps = run_filter(OneEuroFilter(fps=25), track)
    by_time = run_filter(OneEuroFilter(fps=99), track, np.arange(20) / 25 + 7.0)
    np.testing.assert_allclose(by_time, by_fps, rtol=1e-12)
    # A longer gap lets the filter follow more of the change.
    gap = OneEuroFilter()
    gap(track[0], 0.0)
    assert np.abs(gap(track[1], 1.0) - track[1]).max() < np.abs(by_fps[1] - track[1]).max()
    with pytest.raises(ValueError, match='timestamps must increase'):
        gap(track[2], 1.0)


def test_reset_forgets_the_past(rng):
    track = np.cumsum(rng.normal(0, 1, (30, 4, 2)), axis=0)
    filt = OneEuroFilter(beta=0.01)
    first = run_filter(filt, track)
    filt.reset()
    np.testing.assert_array_equal(filt(track[-1]), track[-1])  # passes unchanged
    filt.reset()
    np.testing.assert_array_equal(run_filter(filt, track), first)
    with pytest.raises(ValueError, match='reset'):
        filt(np.zeros((5, 2)))  # another face


def test_an_infinite_cutoff_passes_everything(rng):
    track = rng.normal(0, 5, (10, 3, 2))
    np.testing.assert_array_equal(run_filter(OneEuroFilter(min_cutoff=np.inf), track), track)


@pytest.mark.parametrize(
    'kwargs, message',
    [
        (dict(min_cutoff=0), 'min_cutoff'),
        (dict(min_cutoff=np.nan), 'min_cutoff'),
        (dict(d_cutoff=-1), 'd_cutoff'),
        (dict(beta=-0.1), 'beta'),
        (dict(fps=0), 'fps'),
    ],
)
def test_bad_parameters_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        OneEuroFilter(**kwargs)


def test_bad_keypoints_raise():
    filt = OneEuroFilter()
    with pytest.raises(ValueError, match=r'\(K, 2\)'):
        filt(np.zeros(4))
    with pytest.raises(ValueError, match='finite'):
        filt(np.full((2, 2), np.nan))
    with pytest.raises(ValueError, match='timestamp'):
        filt(np.zeros((2, 2)), np.inf)


# --------------------------------------------------------------- the registry


def test_build_from_a_config_dict(capsys):
    from mmengine.registry import init_default_scope

    init_default_scope('mmpose')  # as MMPose's tools and inferencers leave it
    filt = LANDMARK_FILTERS.build(dict(type='OneEuroFilter', min_cutoff=2.0, beta=0.1))
    assert isinstance(filt, OneEuroFilter) and (filt.min_cutoff, filt.beta) == (2.0, 0.1)
    logged = capsys.readouterr()
    assert 'Failed to search registry' not in logged.out + logged.err
    scoped = build_landmark_filter(dict(type='rr_mmpose.OneEuroFilter', fps=25))
    assert scoped.fps == 25
    assert LANDMARK_FILTERS.get('OneEuroFilter') is OneEuroFilter
    assert build_landmark_filter(filt) is filt
    with pytest.raises(KeyError, match='registered'):
        build_landmark_filter(dict(type='Kalman'))
    with pytest.raises(ValueError, match='"type"'):
        build_landmark_filter(dict(min_cutoff=1.0))
    with pytest.raises(TypeError, match='landmark filter'):
        build_landmark_filter(3)


# --------------------------------------------------------- SequenceFaceBoxes


def test_sequence_face_boxes():
    boxes = SequenceFaceBoxes([[0, 0, 10, 10], [1, 1, 11, 11]])
    image = np.zeros((16, 16, 3), np.uint8)
    first = boxes(image)['predictions'][0].pred_instances
    np.testing.assert_allclose(first.bboxes.numpy(), [[0, 0, 10, 10]])
    assert first.scores.tolist() == [1.0] and first.labels.tolist() == [0]
    second = boxes(image)['predictions'][0].pred_instances
    np.testing.assert_allclose(second.bboxes.numpy(), [[1, 1, 11, 11]])
    with pytest.raises(IndexError, match='holds boxes for 2 frames'):
        boxes(image)
    boxes.reset()
    np.testing.assert_allclose(boxes(image)['predictions'][0].pred_instances.bboxes, first.bboxes)
    two_faces = SequenceFaceBoxes(np.zeros((3, 2, 4)) + [0, 0, 5, 5])
    assert len(two_faces) == 3 and len(two_faces(image)['predictions'][0].pred_instances) == 2
    with pytest.raises(ValueError, match=r'frames \[1\]'):
        SequenceFaceBoxes([[0, 0, 10, 10], [5, 0, 4, 10]])
    with pytest.raises(ValueError, match=r'frames \[0\]'):
        SequenceFaceBoxes([[0, 0, np.nan, 10]])
    with pytest.raises(ValueError, match=r'\(T, 4\)'):
        SequenceFaceBoxes([1, 2, 3, 4])


# -------------------------------------------- through MMPose's video path


FRAMES, SIZE, FPS = 8, 128, 30


@pytest.fixture(scope='module')
def video(tmp_path_factory):
    clip = render_clip(np.random.default_rng(0), FRAMES, SIZE)
    path, _ = write_clip(clip, tmp_path_factory.mktemp('video') / 'clip.mp4', fps=FPS)
    return clip, path


@pytest.fixture(scope='module')
def inferencer(one_torch_thread):
    """The demo config with random weights (MMPose allows no checkpoint)."""
    import torch
    from mmpose.apis import MMPoseInferencer

    torch.manual_seed(0)
    return MMPoseInferencer(
        pose2d=str(DEMO_CONFIG), pose2d_weights=None, device='cpu', det_model='whole_image'
    )


def run(inferencer, path, boxes, **kwargs) -> list[list[dict]]:
    """Each frame's instances, as MMPoseInferencer returns them."""
    use_face_boxes(inferencer, SequenceFaceBoxes(boxes))
    return [result['predictions'][0] for result in inferencer(str(path), **kwargs)]


def keypoints(results, instance: int = 0) -> np.ndarray:
    return np.array([frame[instance]['keypoints'] for frame in results])


def test_use_landmark_filter_filters_the_drawn_video_and_the_predictions(
    inferencer, video, tmp_path, monkeypatch
):
    clip, path = video
    use_landmark_filter(inferencer, None)
    raw = run(inferencer, path, clip.boxes)
    assert len(raw) == FRAMES and keypoints(raw).shape == (FRAMES, 68, 2)

    drawn = []
    visualizer = inferencer.inferencer.visualizer
    add_datasample = visualizer.add_datasample

    def record(name, image, data_sample, **kwargs):
        drawn.append(data_sample.pred_instances.keypoints[0].copy())
        return add_datasample(name, image, data_sample, **kwargs)

    monkeypatch.setattr(visualizer, 'add_datasample', record)
    use_landmark_filter(inferencer, dict(type='OneEuroFilter', min_cutoff=0.5, beta=0.01))
    filtered = run(
        inferencer, path, clip.boxes, vis_out_dir=str(tmp_path / 'vis'), pred_out_dir=str(tmp_path)
    )

    # The filter, run by hand over the unfiltered predictions at the video's times.
    expected = run_filter(
        OneEuroFilter(min_cutoff=0.5, beta=0.01), keypoints(raw), np.arange(FRAMES) / FPS
    )
    np.testing.assert_allclose(keypoints(filtered), expected, atol=1e-4)
    assert np.abs(keypoints(filtered) - keypoints(raw))[1:].max(axis=(1, 2)).min() > 0.01
    for before, after in zip(raw, filtered):  # scores and boxes as they were
        assert before[0]['keypoint_scores'] == after[0]['keypoint_scores']
        assert before[0]['bbox'] == after[0]['bbox']
    # What MMPose drew, and the predictions it wrote, are the filtered ones.
    np.testing.assert_allclose(np.stack(drawn), keypoints(filtered), atol=1e-4)
    written = json.loads((tmp_path / 'clip.json').read_text())
    np.testing.assert_allclose(
        [frame['instances'][0]['keypoints'] for frame in written], keypoints(filtered), atol=1e-4
    )
    capture = cv2.VideoCapture(str(tmp_path / 'vis' / 'clip.mp4'))
    assert capture.isOpened() and int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == FRAMES
    assert int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)) == SIZE
    capture.release()

    # A new input starts afresh: the same video filters the same way again.
    np.testing.assert_array_equal(keypoints(run(inferencer, path, clip.boxes)), keypoints(filtered))

    # A filter that passes everything reproduces the unfiltered run.
    use_landmark_filter(inferencer, OneEuroFilter(min_cutoff=1e9))
    passed = keypoints(run(inferencer, path, clip.boxes))
    np.testing.assert_allclose(passed, keypoints(raw), atol=1e-4)

    # Removed, the inferencer is MMPose's own again.
    use_landmark_filter(inferencer, None)
    pose2d = inferencer.inferencer
    assert not {'forward', '_inputs_to_list', '_get_webcam_inputs'} & set(vars(pose2d))
    np.testing.assert_array_equal(keypoints(run(inferencer, path, clip.boxes)), keypoints(raw))


def test_each_instance_index_gets_its_own_filter(inferencer, video):
    clip, path = video
    shifted = clip.boxes + [6, 4, 6, 4]
    two_faces = np.stack([clip.boxes, shifted], axis=1)  # (T, 2, 4)
    use_landmark_filter(inferencer, None)
    raw = run(inferencer, path, two_faces, nms_thr=1.0)
    assert all(len(frame) == 2 for frame in raw)
    cfg = dict(type='OneEuroFilter', min_cutoff=0.3)
    for max_instances in (1, 2):
        use_landmark_filter(inferencer.inferencer, cfg, max_instances=max_instances)
        filtered = run(inferencer, path, two_faces, nms_thr=1.0)
        for i in range(2):
            if i < max_instances:
                track = keypoints(raw, i)
                expected = run_filter(build_landmark_filter(cfg), track, np.arange(FRAMES) / FPS)
            else:
                expected = keypoints(raw, i)
            np.testing.assert_allclose(keypoints(filtered, i), expected, atol=1e-4)
    use_landmark_filter(inferencer, None)


def test_use_landmark_filter_errors(inferencer, video):
    clip, path = video
    with pytest.raises(TypeError, match='Pose2DInferencer'):
        use_landmark_filter(object(), OneEuroFilter())
    with pytest.raises(ValueError, match='max_instances'):
        use_landmark_filter(inferencer, OneEuroFilter(), max_instances=0)
    with pytest.raises(TypeError, match='landmark filter'):
        use_landmark_filter(inferencer, 'OneEuroFilter')
    # A video longer than its boxes stops with a clear error.
    with pytest.raises(IndexError, match='holds boxes for 5 frames'):
        run(inferencer, path, clip.boxes[:5])
