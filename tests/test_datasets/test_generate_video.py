"""Generated face clips: landmarks that follow the warp exactly, a slow
smooth motion, and an mp4 + JSON pair written all at once or not at all."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from rr_mmpose.datasets import render_face
from rr_mmpose.datasets.generate_video import (
    apply_affine,
    main,
    read_ground_truth,
    render_clip,
    write_clip,
)


def warp(image: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """The warp the clips are made with."""
    size = image.shape[1], image.shape[0]
    return cv2.warpAffine(
        image, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
    )


def blob(size: int, centre: np.ndarray, sigma: float = 1.5) -> np.ndarray:
    """A Gaussian dot at a sub-pixel position (pixel centres at integers)."""
    y, x = np.mgrid[:size, :size].astype(np.float64)
    dist2 = (x - centre[0]) ** 2 + (y - centre[1]) ** 2
    return np.exp(-dist2 / (2 * sigma**2)).astype(np.float32)


def centroid(image: np.ndarray) -> np.ndarray:
    y, x = np.mgrid[: image.shape[0], : image.shape[1]]
    return np.array([(x * image).sum(), (y * image).sum()]) / image.sum()


def speeds(keypoints: np.ndarray) -> np.ndarray:
    """(T-1, K) distance each landmark moves from one frame to the next."""
    return np.linalg.norm(np.diff(keypoints, axis=0), axis=-1)


def test_the_clip_is_one_rendered_face_warped_frame_by_frame(rng):
    clip = render_clip(rng, num_frames=12, size=128)
    face, face_keypoints = render_face(np.random.default_rng(0), 128)  # rng is seed 0
    np.testing.assert_array_equal(clip.face, face)
    np.testing.assert_array_equal(clip.face_keypoints, face_keypoints)
    assert clip.frames.shape == (12, 128, 128, 3) and clip.frames.dtype == np.uint8
    assert clip.keypoints.shape == (12, 68, 2) and clip.keypoints.dtype == np.float64
    assert clip.boxes.shape == (12, 4) and clip.matrices.shape == (12, 2, 3)
    for t in (0, 5, 11):
        np.testing.assert_array_equal(clip.frames[t], warp(face, clip.matrices[t]))
        # The landmarks are mapped by the very matrix the frame is warped with.
        m = clip.matrices[t]
        np.testing.assert_allclose(
            clip.keypoints[t], face_keypoints @ m[:, :2].T + m[:, 2], rtol=0, atol=1e-12
        )
    np.testing.assert_allclose(clip.boxes[:, :2], clip.keypoints.min(axis=1))
    np.testing.assert_allclose(clip.boxes[:, 2:], clip.keypoints.max(axis=1))


def test_a_dot_at_a_landmark_lands_where_the_clip_says():
    """OpenCV's warp and the landmark mapping agree on the convention
    (pixel centres at integer coordinates): a dot drawn at a landmark of the
    still face and warped with a frame's matrix is centred on that frame's
    landmark, up to bilinear resampling's own error on a scaled dot (about
    a hundredth of a pixel at this width), far below a half-pixel slip."""
    clip = render_clip(np.random.default_rng(3), num_frames=120, size=128, rotation=8, zoom=0.1)
    for t in (0, 60, 119):
        for k in (0, 30, 36, 45, 57):
            dot = warp(blob(128, clip.face_keypoints[k], sigma=2.5), clip.matrices[t])
            np.testing.assert_allclose(centroid(dot), clip.keypoints[t, k], atol=0.025)


def test_the_motion_is_the_documented_one(rng):
    clip = render_clip(rng, num_frames=50, size=160)
    m = clip.motion
    t = 37
    u = (t - 49 / 2) / 49
    angle, scale = np.radians(m['rotation']) * u, 1 + m['zoom'] * u
    shift = m['drift'] * (t - 49 / 2) * np.array([np.cos(m['direction']), np.sin(m['direction'])])
    shift += m['wobble'] * np.sin(2 * np.pi * t / m['wobble_period'] + np.array(m['phases']))
    rotate = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    pivot = np.array(m['pivot'])
    np.testing.assert_allclose(pivot, clip.face_keypoints.mean(0))
    expected = (clip.face_keypoints - pivot) @ rotate.T + pivot + shift
    np.testing.assert_allclose(clip.keypoints[t], expected, atol=1e-12)
    np.testing.assert_allclose(apply_affine(clip.matrices[t], clip.face_keypoints), expected)


def test_the_default_motion_is_slow_sub_pixel_and_smooth(rng):
    clip = render_clip(rng, size=128)
    assert clip.num_frames == 120 and clip.size == 128
    moves = speeds(clip.keypoints)
    assert 0.1 < moves.mean() < 0.5  # sub-pixel on average
    assert moves.max() < 0.5  # never half a pixel in one frame
    assert (moves > 0.1).mean() > 0.8  # but it does move, nearly all the time
    # Smooth: the velocity changes by a few hundredths of a pixel per frame.
    assert np.linalg.norm(np.diff(clip.keypoints, 2, axis=0), axis=-1).max() < 0.06
    # Over the clip the face travels several pixels.
    assert np.linalg.norm(clip.keypoints[-1] - clip.keypoints[0], axis=-1).mean() > 3
    assert (clip.keypoints >= 0).all() and (clip.keypoints <= 127).all()


def test_rendering_is_deterministic_and_seeds_differ():
    a = render_clip(np.random.default_rng(5), num_frames=4, size=64)
    b = render_clip(np.random.default_rng(5), num_frames=4, size=64)
    c = render_clip(np.random.default_rng(6), num_frames=4, size=64)
    np.testing.assert_array_equal(a.frames, b.frames)
    np.testing.assert_array_equal(a.keypoints, b.keypoints)
    assert a.motion == b.motion
    assert not np.array_equal(a.keypoints, c.keypoints)


@pytest.mark.parametrize(
    'kwargs, message',
    [
        (dict(num_frames=0), 'num_frames'),
        (dict(num_frames=2.5), 'num_frames'),
        (dict(size=8), 'size'),
        (dict(drift=np.nan), 'drift'),
        (dict(wobble_period=0), 'wobble_period'),
        (dict(zoom=-2), 'zoom'),
        (dict(drift=5.0), 'out of the 128 x 128 frame'),
    ],
)
def test_bad_arguments_raise(kwargs, message):
    kwargs = dict(dict(num_frames=30, size=128), **kwargs)
    with pytest.raises(ValueError, match=message):
        render_clip(np.random.default_rng(0), **kwargs)


def read_video(path) -> tuple[np.ndarray, float]:
    capture = cv2.VideoCapture(str(path))
    assert capture.isOpened()
    fps = capture.get(cv2.CAP_PROP_FPS)
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    return np.stack(frames), fps


def test_write_clip_round_trip(tmp_path):
    clip = render_clip(np.random.default_rng(1), num_frames=10, size=128)
    video, truth = write_clip(clip, tmp_path / 'out' / 'clip.mp4', fps=25)
    assert video == tmp_path / 'out' / 'clip.mp4' and truth == tmp_path / 'out' / 'clip.json'
    frames, fps = read_video(video)
    assert frames.shape == clip.frames.shape and fps == pytest.approx(25)
    # mp4v is lossy, but the frames are these frames.
    mse = ((frames.astype(np.float64) - clip.frames) ** 2).mean()
    assert 10 * np.log10(255**2 / mse) > 25
    doc = json.loads(truth.read_text())
    assert doc['video'] == 'clip.mp4' and doc['num_frames'] == 10 and doc['size'] == [128, 128]
    assert doc['fps'] == 25 and doc['motion'] == clip.motion
    np.testing.assert_array_equal(np.array(doc['keypoints']), clip.keypoints)  # exact floats
    np.testing.assert_array_equal(np.array(doc['boxes']), clip.boxes)
    np.testing.assert_array_equal(np.array(doc['matrices']), clip.matrices)
    loaded = read_ground_truth(video)
    np.testing.assert_array_equal(loaded['keypoints'], clip.keypoints)
    assert sorted(p.name for p in video.parent.iterdir()) == ['clip.json', 'clip.mp4']


def test_write_clip_to_an_unwritable_path_raises_and_leaves_nothing(tmp_path):
    clip = render_clip(np.random.default_rng(1), num_frames=3, size=64)
    (tmp_path / 'a_file').write_text('not a folder')
    with pytest.raises(OSError, match='cannot write the clip to'):
        write_clip(clip, tmp_path / 'a_file' / 'new' / 'clip.mp4')
    assert [p.name for p in tmp_path.iterdir()] == ['a_file']
    with pytest.raises(ValueError, match='must end in .mp4'):
        write_clip(clip, tmp_path / 'clip.avi')
    with pytest.raises(ValueError, match='fps'):
        write_clip(clip, tmp_path / 'clip.mp4', fps=0)
    assert [p.name for p in tmp_path.iterdir()] == ['a_file']


class ClosedWriter:
    """A cv2.VideoWriter that could not be opened."""

    def __init__(self, *args):
        pass

    def isOpened(self):  # noqa: N802  (OpenCV's name)
        return False

    def release(self):
        pass


def frame_dropping_writer(real):
    class Writer:
        """Opens, then writes only the first frame: what a broken codec does."""

        def __init__(self, *args):
            self.writer, self.count = real(*args), 0

        def isOpened(self):  # noqa: N802
            return self.writer.isOpened()

        def write(self, frame):
            self.count += 1
            if self.count == 1:
                self.writer.write(frame)

        def release(self):
            self.writer.release()

    return Writer


@pytest.mark.parametrize(
    'writer, message', [('closed', 'cannot open'), ('dropping', 'reads back as 1 frames')]
)
def test_a_failing_video_writer_leaves_nothing_and_keeps_an_earlier_clip(
    tmp_path, monkeypatch, writer, message
):
    clip = render_clip(np.random.default_rng(1), num_frames=4, size=64)
    (tmp_path / 'kept.mp4').write_bytes(b'an earlier clip')
    (tmp_path / 'kept.json').write_text('{}')
    fake = ClosedWriter if writer == 'closed' else frame_dropping_writer(cv2.VideoWriter)
    monkeypatch.setattr(cv2, 'VideoWriter', fake)
    with pytest.raises(OSError, match=message):
        write_clip(clip, tmp_path / 'kept.mp4')
    with pytest.raises(OSError, match=message):
        write_clip(clip, tmp_path / 'new' / 'deeper' / 'clip.mp4')
    # No half-written or temporary file, no folder made for nothing, the old pair intact.
    assert sorted(p.name for p in tmp_path.iterdir()) == ['kept.json', 'kept.mp4']
    assert (tmp_path / 'kept.mp4').read_bytes() == b'an earlier clip'


def test_the_command_line_writes_numbered_clips(tmp_path, capsys):
    main([str(tmp_path), '--num-clips', '2', '--frames', '5', '--size', '64', '--seed', '3'])
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ['clip_000.json', 'clip_000.mp4', 'clip_001.json', 'clip_001.mp4']
    first, second = (read_ground_truth(tmp_path / f'clip_00{i}.mp4') for i in (0, 1))
    assert first['keypoints'].shape == (5, 68, 2) and first['size'] == [64, 64]
    assert not np.array_equal(first['keypoints'], second['keypoints'])
    expected = render_clip(np.random.default_rng([3, 1]), 5, 64)
    np.testing.assert_array_equal(second['keypoints'], expected.keypoints)
    assert 'clip_001.mp4' in capsys.readouterr().out
