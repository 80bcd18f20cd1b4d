"""H3R's crop-and-resize as an MMPose option: the crop equals the original
PIL/torchvision one pixel for pixel, and a config turned into H3R's
inference config (``h3r_inference_config``) lands on the landmarks of H3R's
pipeline as rebuilt from its source (for all backbones and sizes:
tests/test_h3r/test_released_models.py)."""

import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope
from PIL import Image

from rr_mmpose.datasets import render_face, tight_box
from rr_mmpose.h3r import H3RCropResize, h3r_inference_config, h3r_test_pipeline
from rr_mmpose.testing.h3r_parity import random_h3r_network
from rr_mmpose.testing.h3r_reference import H3RDetector, h3r_decode, write_h3r_model_dir

from ..helpers import FACE_CONFIGS, REPO
from ..helpers import h3r_fixture as fixture

pytestmark = pytest.mark.usefixtures('one_torch_thread')

CONFIG_300W_128 = FACE_CONFIGS / '300w' / 'td-hm_mobilenetv2_rr-8xb64-60e_300w-p2-128x128.py'


def crop_with(transform: H3RCropResize, image: np.ndarray, box) -> np.ndarray:
    return transform(dict(img=image.copy(), bbox=np.array([box], np.float32)))['img']


BOXES = [
    (20.0, 30.0, 90.0, 110.0),  # inside
    (-15.3, 40.7, 60.2, 150.9),  # past the left and bottom edges: black padding
    (10.0, 10.0, 109.0, 59.0),  # side 125: the rounded corner sits on x.5
    (50.25, 50.75, 51.0, 51.5),  # tiny: the crop is enlarged
]


@pytest.mark.parametrize('box', BOXES)
def test_crop_matches_h3r_pil_and_torchvision_pixel_for_pixel(box):
    image = np.random.default_rng(0).integers(0, 256, (140, 120, 3), dtype=np.uint8)
    ours = crop_with(H3RCropResize((64, 64)), image, box)
    reference = H3RDetector({'INPUT': {'SIZE': [64, 64], 'SCALE': 1.25}}, torch.nn.Identity())
    pil = Image.fromarray(image)
    (rect,) = reference.squares(np.array([box]), pil)
    theirs = reference.to_input.transforms[0](pil.crop(tuple(rect.tolist())))
    assert ours.shape == (64, 64, 3) and ours.dtype == np.uint8
    np.testing.assert_array_equal(ours, np.asarray(theirs))


def test_mapping_back_is_h3rs_linear_map():
    """input_center/input_scale make TopdownPoseEstimator's map equal
    H3R's ``x * side / w + left``; keypoints go the other way."""
    keypoints = np.array([[[30.0, 40.0], [75.5, 100.25]]], np.float32)
    results = H3RCropResize((128, 96), scale=1.25)(
        dict(
            img=np.zeros((200, 200, 3), np.uint8),
            bbox=np.array([[20.0, 30.0, 90.0, 110.0]]),
            keypoints=keypoints,
        )
    )
    side = 81 * 1.25
    left, top = (20 + 90 + 1 - side) / 2, (30 + 110 + 1 - side) / 2
    assert results['img'].shape == (96, 128, 3)
    np.testing.assert_allclose(results['input_scale'], [side, side])
    size = np.array(results['input_size'], np.float32)
    back = (
        results['transformed_keypoints'] / size * results['input_scale']
        + results['input_center']
        - results['input_scale'] / 2
    )
    np.testing.assert_allclose(back, keypoints, atol=1e-4)
    np.testing.assert_allclose(
        results['transformed_keypoints'][0, 0], [(30 - left) * 128 / side, (40 - top) * 96 / side]
    )


def test_bad_inputs_get_clear_errors():
    crop = H3RCropResize((64, 64))
    image = np.zeros((50, 50, 3), np.uint8)
    with pytest.raises(KeyError, match='needs results\\["bbox"\\]'):
        crop(dict(img=image))
    with pytest.raises(ValueError, match='one box in shape \\(1, 4\\)'):
        crop(dict(img=image, bbox=np.zeros((2, 4))))
    with pytest.raises(ValueError, match='finite'):
        crop(dict(img=image, bbox=np.array([[0, 0, np.nan, 10]])))
    with pytest.raises(ValueError, match='x2 >= x1'):
        crop(dict(img=image, bbox=np.array([[10, 0, 5, 10]])))
    with pytest.raises(TypeError, match='uint8'):
        crop(dict(img=image.astype(np.float32), bbox=np.array([[0, 0, 10, 10]])))
    with pytest.raises(ValueError, match='input_size'):
        H3RCropResize((0, 64))
    with pytest.raises(ValueError, match='one TopdownAffine'):
        h3r_test_pipeline([dict(type='LoadImage'), dict(type='PackPoseInputs')])


def test_original_pipeline_config_swaps_crop_and_decoder(tmp_path):
    cfg = h3r_inference_config(CONFIG_300W_128)
    steps = [step['type'] for step in cfg.test_dataloader.dataset.pipeline]
    assert steps == ['LoadImage', 'H3RCropResize', 'PackPoseInputs']
    assert cfg.model.head.decode_scores == 'logits'
    init_default_scope('mmpose')
    assert Compose(cfg.val_dataloader.dataset.pipeline)  # builds from MMPose's registry
    # The dumped file is a config MMPose's tools load as any other.
    from mmengine.config import Config

    cfg.dump(tmp_path / 'h3r.py')
    again = Config.fromfile(tmp_path / 'h3r.py')
    assert again.test_dataloader.dataset.pipeline[1]['type'] == 'H3RCropResize'


def test_h3r_decode_reads_the_second_slice():
    logits = torch.zeros(1, 2, 3, 4, 5)
    logits[0, 1, 1, 2, 3] = 50.0  # keypoint 1, class-1 slice: cell (x=3, y=2)
    logits[0, 0, 1, 0, 0] = 90.0  # class-0 slice: ignored
    points = h3r_decode(logits, topk=1, stride=4)
    np.testing.assert_allclose(points[0, 1], [12.0, 8.0])


@pytest.mark.slow  # a subprocess
def test_converter_tool_writes_the_h3r_inference_config(tmp_path):
    """tools/convert_h3r_checkpoint.py (a thin wrapper) with
    --inference-config: a config that MMPose loads with the converted
    weights and that runs H3R's inference."""
    from mmpose.apis import inference_topdown, init_model

    released = fixture('300w/mobilenet_128x128_p2')
    cfg, net = random_h3r_network(released)
    model_dir = write_h3r_model_dir(tmp_path / 'mobilenet_128x128_p2', net.state_dict(), released)
    out = tmp_path / 'out'
    subprocess.run(
        [
            sys.executable,
            'tools/convert_h3r_checkpoint.py',
            str(model_dir),
            str(out / 'h3r.pth'),
            '--inference-config',
            str(out / 'h3r.py'),
        ],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    assert sorted(p.name for p in out.iterdir()) == ['h3r.pth', 'h3r.py']
    model = init_model(str(out / 'h3r.py'), str(out / 'h3r.pth'), device='cpu')
    steps = [step['type'] for step in model.cfg.test_dataloader.dataset.pipeline]
    assert steps == ['LoadImage', 'H3RCropResize', 'PackPoseInputs']
    assert model.head.decode_scores == 'logits'
    image, landmarks = render_face(np.random.default_rng(4), size=160)
    (sample,) = inference_topdown(model, image, tight_box(landmarks)[None])
    theirs = H3RDetector(cfg, net)(Image.fromarray(image[..., ::-1]), tight_box(landmarks)[None])
    assert np.abs(sample.pred_instances.keypoints - theirs).max() < 0.01


def test_crop_feeds_generate_target_for_training():
    """With keypoints, the crop also serves a training pipeline: the codec
    encodes the transformed keypoints."""
    from mmpose.registry import TRANSFORMS

    init_default_scope('mmpose')
    codec = dict(type='RandomizedRoundingHeatmap', input_size=(128, 128), heatmap_size=(32, 32))
    pipeline = Compose(
        [
            dict(type='H3RCropResize', input_size=(128, 128)),
            dict(type='GenerateTarget', encoder=codec),
        ]
    )
    image, landmarks = render_face(np.random.default_rng(5), size=160)
    results = pipeline(
        dict(
            img=image,
            bbox=tight_box(landmarks)[None],
            keypoints=landmarks[None].astype(np.float32),
            keypoints_visible=np.ones((1, 68), np.float32),
        )
    )
    assert TRANSFORMS.get('H3RCropResize') is H3RCropResize
    heatmaps = results['heatmaps']
    assert heatmaps.shape == (68, 32, 32) and heatmaps.sum() == 68  # one cell per keypoint
    cells = np.stack(np.unravel_index(heatmaps.reshape(68, -1).argmax(1), (32, 32)), -1)[:, ::-1]
    assert np.abs(cells - results['transformed_keypoints'][0] / 4).max() < 1.0
