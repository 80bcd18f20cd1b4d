"""H3R's crop-and-resize as an MMPose option: the crop equals the original
PIL/torchvision one pixel for pixel, and MMPoseInferencer with
``h3r_original_pipeline`` lands on H3R's own pipeline's landmarks."""

import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope
from mmpose.apis import MMPoseInferencer
from mmpose.datasets import Face300WDataset
from mmpose.datasets.datasets.utils import parse_pose_metainfo
from PIL import Image

from rr_mmpose.apis import FixedFaceBoxes, h3r_original_pipeline, h3r_test_pipeline, use_face_boxes
from rr_mmpose.datasets import H3RCropResize, render_face, tight_box
from rr_mmpose.deployment import convert_h3r_checkpoint
from rr_mmpose.testing import (
    H3RMobileNetV2,
    H3RReferencePipeline,
    h3r_decode,
    randomise_batch_norm,
    write_h3r_model_dir,
)

from .conftest import CONFIG_DIR, REPO

CONFIG_300W_128 = CONFIG_DIR / '300w' / 'td-hm_mobilenetv2_rr-8xb64-60e_300w-p2-128x128.py'


def flip_indices_300w() -> list[int]:
    return parse_pose_metainfo(Face300WDataset.METAINFO)['flip_indices']


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
    reference = H3RReferencePipeline(torch.nn.Identity(), 64, None)
    (rect,) = reference.squares(np.array([box]))
    theirs = reference.to_input.transforms[0](Image.fromarray(image).crop(tuple(rect)))
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
    cfg = h3r_original_pipeline(CONFIG_300W_128)
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


@pytest.fixture(scope='module')
def converted_300w_128(tmp_path_factory):
    """A random-weight H3R MobileNetV2 (68 points, 128x128) in H3R's layout,
    converted by the converter."""
    root = tmp_path_factory.mktemp('h3r_300w')
    torch.manual_seed(0)
    net = randomise_batch_norm(H3RMobileNetV2(68))
    with torch.no_grad():  # logits of std ~40 rather than 0.4: fewer near-ties in the top-k
        net.heatmap_head.head.layers[3].weight.mul_(100)
    model_dir = write_h3r_model_dir(
        root / 'mobilenet_128x128_p2', net.state_dict(), size=128, dataset='300W', num_keypoints=68
    )
    return net, convert_h3r_checkpoint(model_dir, root / 'converted.pth')


def clear_of_ties(net, batch, flip_order, margin=1e-3):
    """(N, K) mask: the keypoints whose 9th and 10th class-1 logits differ
    by more than ``margin`` in both passes. A random network's maps can put
    them within float rounding of each other, and then either pipeline may
    pick either cell."""
    masks = []
    for inputs in (batch, batch.flip(-1)):
        with torch.no_grad():
            logits = net(inputs)
        n, channels, h, w = logits.shape
        top = logits.view(n, 2, channels // 2, h * w)[:, 1].topk(10, dim=-1).values
        masks.append((top[..., 8] - top[..., 9]).numpy() > margin)
    return masks[0] & masks[1][:, flip_order]


def test_inferencer_reproduces_h3r_pipeline_end_to_end(converted_300w_128):
    """Same image and box: MMPoseInferencer with the H3R pipeline option
    against H3R's pipeline (PIL crop, torchvision resize, flip test).
    Measured: 2.0e-4 px at most over all 136 points (float rounding);
    asserted 0.01 px away from top-k near-ties."""
    net, checkpoint = converted_300w_128
    image, landmarks = render_face(np.random.default_rng(3), size=160)
    x1, y1, x2, y2 = tight_box(landmarks)
    boxes = [[x1, y1, x2, y2], [x1 - 30, y1 + 10, x2 - 20, y2 + 25]]  # the 2nd: past edges
    flip_order = flip_indices_300w()
    reference = H3RReferencePipeline(net, 128, flip_order)
    rgb = Image.fromarray(image[..., ::-1])  # H3R reads RGB with PIL
    theirs = reference(rgb, np.array(boxes))
    clear = clear_of_ties(net, reference.inputs(rgb, np.array(boxes))[0], flip_order)

    inferencer = MMPoseInferencer(
        pose2d=h3r_original_pipeline(CONFIG_300W_128),
        pose2d_weights=str(checkpoint),
        device='cpu',
        det_model='whole_image',
    )
    use_face_boxes(inferencer, FixedFaceBoxes(boxes))
    # nms_thr=1: keep both overlapping boxes. A BGR array, as MMPose loads images.
    faces = next(inferencer(image, nms_thr=1.0))['predictions'][0]
    # MMPose's NMS may reorder the boxes: match each face to its box.
    order = [
        int(np.abs(np.array(boxes) - np.array(face['bbox'][0])).sum(1).argmin()) for face in faces
    ]
    assert sorted(order) == [0, 1]
    ours = np.array([face['keypoints'] for face in faces])[np.argsort(order)]
    assert ours.shape == theirs.shape == (2, 68, 2)
    error = np.abs(ours - theirs).max(-1)
    assert clear.sum() >= 80 and error[clear].max() < 0.01  # measured: 97 of 136 clear


def test_h3r_decode_reads_the_second_slice():
    logits = torch.zeros(1, 2 * 3, 4, 5)
    logits[0, 3 + 1, 2, 3] = 50.0  # keypoint 1, class-1 slice: cell (x=3, y=2)
    logits[0, 1, 0, 0] = 90.0  # class-0 slice: ignored
    points = h3r_decode(logits, topk=1, stride=4)
    np.testing.assert_allclose(points[0, 1], [12.0, 8.0])


def test_converter_cli_writes_the_h3r_pipeline_config(converted_300w_128, tmp_path):
    """tools/convert_h3r_checkpoint.py --h3r-pipeline-config: a config that
    MMPose loads with the converted weights and runs H3R's pipeline with."""
    from mmpose.apis import inference_topdown, init_model

    net, _ = converted_300w_128
    model_dir = write_h3r_model_dir(
        tmp_path / 'mobilenet_128x128_p2',
        net.state_dict(),
        size=128,
        dataset='300W',
        num_keypoints=68,
    )
    out = tmp_path / 'out'
    subprocess.run(
        [
            sys.executable,
            'tools/convert_h3r_checkpoint.py',
            str(model_dir),
            str(out / 'h3r.pth'),
            '--h3r-pipeline-config',
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
    theirs = H3RReferencePipeline(net, 128, flip_indices_300w())(
        Image.fromarray(image[..., ::-1]), tight_box(landmarks)[None]
    )
    assert np.median(np.abs(sample.pred_instances.keypoints - theirs)) < 0.01


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
