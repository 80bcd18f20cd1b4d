"""LandmarkRuntime: an exported model on an image and boxes with numpy,
OpenCV and onnxruntime only, as MMPose's top-down inference runs it."""

import json
import subprocess
import sys
import warnings

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

from rr_mmpose.datasets import render_face
from rr_mmpose.deployment import DecodedPoseModel, cpu_session, export_onnx, runtime_path
from rr_mmpose.deployment.runtime import (
    INT8_FORMAT_KEY,
    PREPROCESSING_KEY,
    TOPDOWN_CROP,
    LandmarkRuntime,
    cpu_isa,
    int8_saturates,
    isa_name,
    to_image,
)

from ..helpers import DEMO_CONFIG, clear_of_topk_ties, random_demo_model

# What the runtime file may not import, not even indirectly.
POISONED = ('torch', 'mmcv', 'mmengine', 'mmpose', 'mmdet', 'rr_mmpose')


@pytest.fixture(scope='module')
def config() -> Config:
    cfg = Config.fromfile(str(DEMO_CONFIG))
    cfg.model.test_cfg.flip_test = False  # the graph has no flip test
    return cfg


@pytest.fixture(scope='module')
def net(config):
    net = random_demo_model(config)
    net.cfg = config  # as init_model sets it: export_onnx reads the test pipeline
    return net


@pytest.fixture(scope='module')
def model_path(net, tmp_path_factory):
    return export_onnx(net, tmp_path_factory.mktemp('runtime') / 'demo.onnx', with_maps=True)


@pytest.fixture(scope='module')
def face():
    """A generated face, its landmark box and a box past the image's top
    right corner."""
    image, keypoints = render_face(np.random.default_rng(3), 256)
    x0, y0 = keypoints.min(0)
    x1, y1 = keypoints.max(0)
    return image, np.array([[x0, y0, x1, y1], [200, -40, 300, 60]], np.float32)


def test_the_export_writes_what_the_runtime_reads(model_path):
    import onnx

    props = {p.key: p.value for p in onnx.load(str(model_path)).metadata_props}
    assert json.loads(props[PREPROCESSING_KEY]) == dict(
        input_size=[128, 128],
        crop=TOPDOWN_CROP,
        padding=1.25,
        mean=pytest.approx([123.675, 116.28, 103.53]),
        std=pytest.approx([58.395, 57.12, 57.375]),
        bgr_to_rgb=True,
    )
    runtime = LandmarkRuntime(model_path)
    assert runtime.input_size == (128, 128) and runtime.padding == 1.25 and runtime.bgr_to_rgb
    assert runtime.num_keypoints == 68


@pytest.mark.slow
def test_runs_without_torch_mmcv_mmengine_mmpose(model_path, face, tmp_path):
    """Loaded from its file in a Python where torch, mmcv, mmengine, MMPose
    and rr_mmpose cannot be imported: the same landmarks as in-process."""
    image, boxes = face
    cv2.imwrite(str(tmp_path / 'face.png'), image)
    code = f"""
import sys
for name in {POISONED!r}:
    sys.modules[name] = None  # import raises ImportError
import importlib.util, json
import cv2, numpy as np
spec = importlib.util.spec_from_file_location('landmark_runtime', sys.argv[1])
runtime = importlib.util.module_from_spec(spec)
spec.loader.exec_module(runtime)
image = cv2.imread(sys.argv[2])
keypoints, scores = runtime.LandmarkRuntime(sys.argv[3], threads=1)(image, json.loads(sys.argv[4]))
np.savez(sys.argv[5], keypoints=keypoints, scores=scores)
print(json.dumps(sorted(m for m, v in sys.modules.items() if v is not None
                        and m.split('.')[0] in {POISONED!r})))
"""
    out = tmp_path / 'out.npz'
    args = [str(runtime_path()), str(tmp_path / 'face.png'), str(model_path)]
    done = subprocess.run(
        [sys.executable, '-c', code, *args, json.dumps(boxes.tolist()), str(out)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == []
    result = np.load(out)
    keypoints, scores = LandmarkRuntime(model_path, threads=1)(image, boxes)
    assert result['keypoints'].shape == (2, 68, 2) and result['scores'].shape == (2, 68)
    np.testing.assert_array_equal(result['keypoints'], keypoints)
    np.testing.assert_array_equal(result['scores'], scores)


def test_matches_mmpose_inferencer(config, net, model_path, face):
    """Against ``MMPoseInferencer`` (flip test off) on the same image and
    boxes: the crops fed to the network equal MMPose's to the bit, MMPose's
    keypoints are the runtime's mapping of the network's, and the
    runtime's keypoints are within 0.01 px of MMPose's wherever the top-k
    of the (untrained, nearly flat) maps is not decided by a float-rounding
    tie between onnxruntime and PyTorch."""
    from mmengine.dataset import pseudo_collate
    from mmpose.apis import MMPoseInferencer

    from rr_mmpose.apis import FixedFaceBoxes, use_face_boxes

    image, boxes = face
    inferencer = MMPoseInferencer(pose2d=config.copy(), device='cpu', det_model='whole_image')
    model = inferencer.inferencer.model
    model.load_state_dict(net.state_dict())
    use_face_boxes(inferencer, FixedFaceBoxes(boxes))
    (faces,) = next(inferencer(image.copy()))['predictions']
    assert len(faces) == 2
    order = [int(np.abs(np.array(f['bbox'][0]) - boxes[:, :4]).sum(1).argmin()) for f in faces]
    assert sorted(order) == [0, 1]
    expected = np.zeros((2, 68, 2))
    for i, f in zip(order, faces):
        expected[i] = f['keypoints']

    runtime = LandmarkRuntime(model_path, threads=1)
    inputs, centers, scales = runtime.preprocess(image, boxes)
    samples = inferencer.inferencer.preprocess_single(image.copy(), index=0)
    mmpose_inputs = model.data_preprocessor(pseudo_collate(samples))['inputs'].numpy()
    for sample, mmpose_input in zip(samples, mmpose_inputs):
        box = sample['data_samples'].gt_instances.bboxes[0]
        i = int(np.abs(box - boxes).sum(1).argmin())
        np.testing.assert_array_equal(mmpose_input, inputs[i])
        np.testing.assert_array_equal(sample['data_samples'].metainfo['input_center'], centers[i])
        np.testing.assert_array_equal(sample['data_samples'].metainfo['input_scale'], scales[i])

    with torch.no_grad():
        wrapper = DecodedPoseModel(model, with_maps=True)
        torch_kpts, _, torch_maps = wrapper(torch.from_numpy(inputs))
    np.testing.assert_allclose(
        to_image(torch_kpts.numpy(), centers, scales, runtime.input_size), expected, atol=1e-3
    )

    keypoints, scores = runtime(image, boxes)
    assert keypoints.shape == (2, 68, 2) and scores.shape == (2, 68)
    maps = cpu_session(model_path, threads=1).run(['maps'], {'input': inputs})[0]
    map_err = np.abs(maps - torch_maps.numpy()).max()
    clear = clear_of_topk_ties(torch_maps, map_err)
    err = np.abs(keypoints - expected).max(-1)
    print(
        f'runtime vs inferencer: {clear.sum()} of {clear.size} keypoints clear of ties, '
        f'max error there {err[clear].max():.2e} px, everywhere {err.max():.2e} px'
    )
    assert clear.sum() >= 20 and err[clear].max() < 0.01


def test_clear_errors(model_path, face, tmp_path):
    image, boxes = face
    with pytest.raises(FileNotFoundError, match='no ONNX model'):
        LandmarkRuntime(tmp_path / 'missing.onnx')
    (tmp_path / 'junk.onnx').write_bytes(b'not a model')
    with pytest.raises(ValueError, match='onnxruntime cannot load'):
        LandmarkRuntime(tmp_path / 'junk.onnx')
    with pytest.raises(ValueError, match='threads'):
        LandmarkRuntime(model_path, threads=0)
    runtime = LandmarkRuntime(model_path, threads=1)
    for bad in ([[1, 2, 3]], np.zeros((2, 2, 4)), [[10, 10, 5, 20]], [[0, 0, np.nan, 9]]):
        with pytest.raises(ValueError, match='boxes must'):
            runtime(image, bad)
    with pytest.raises(ValueError, match='image is empty'):
        runtime(np.zeros((0, 10, 3), np.uint8), boxes)
    with pytest.raises(ValueError, match=r'\(H, W, 3\) uint8'):
        runtime(image[..., 0], boxes)
    with pytest.raises(TypeError, match='cv2.imread returns None'):
        runtime(None, boxes)
    keypoints, scores = runtime(image, np.zeros((0, 4)))
    assert keypoints.shape == (0, 68, 2) and scores.shape == (0, 68)
    one, _ = runtime(image, boxes[0])  # one box as (4,)
    np.testing.assert_array_equal(one[0], runtime(image, boxes)[0][0])


AVX2_CPUINFO = 'processor\t: 0\nflags\t\t: fpu sse2 avx avx2 fma\n'
VNNI_CPUINFO = 'processor\t: 0\nflags\t\t: avx2 avx512f avx512bw avx512_vnni amx_int8\n'
ARM_CPUINFO = 'processor\t: 0\nFeatures\t: fp asimd asimddp\n'


def test_the_cpu_flags_onnxruntime_chooses_its_int8_kernels_by():
    avx2, vnni = cpu_isa(AVX2_CPUINFO), cpu_isa(VNNI_CPUINFO)
    assert (avx2['avx2'], avx2['avx512'], avx2['vnni'], avx2['amx']) == (True, False, False, False)
    assert (vnni['avx512'], vnni['vnni'], vnni['amx']) == (True, True, True)
    assert isa_name(dict(avx2, machine='x86_64')) == 'x86_64 AVX2'
    assert isa_name(dict(vnni, machine='x86_64')) == 'x86_64 AVX-512 VNNI AMX'
    unknown = dict(machine='x86_64', avx2=None, avx512=None, vnni=None, amx=None)
    assert isa_name(unknown) == 'x86_64' and int8_saturates('u8s8', unknown) is None
    x86_avx2 = dict(avx2, machine='x86_64')
    assert int8_saturates('u8s8', x86_avx2) and not int8_saturates('u8s7', x86_avx2)
    assert not int8_saturates('u8s8', dict(vnni, machine='x86_64'))
    assert not int8_saturates('u8s8', dict(cpu_isa(ARM_CPUINFO), machine='aarch64'))
    with pytest.raises(ValueError, match='unknown INT8 format'):
        int8_saturates('u8s9', x86_avx2)


def test_the_runtime_warns_where_an_int8_format_saturates(model_path, tmp_path, monkeypatch):
    """8-bit weights on an x86 CPU without VNNI: a warning that says why and
    what to do; the portable format and FP32 never warn."""
    from rr_mmpose.deployment import runtime
    from rr_mmpose.deployment.onnx_export import set_metadata

    avx2 = dict(cpu_isa(AVX2_CPUINFO), machine='x86_64')
    monkeypatch.setattr(runtime, 'cpu_isa', lambda: avx2)
    paths = {}
    for name, metadata in (
        ('u8s8', {'rr_mmpose.precision': 'int8', INT8_FORMAT_KEY: 'u8s8'}),
        ('old', {'rr_mmpose.precision': 'int8'}),  # written before the format was recorded
        ('u8s7', {'rr_mmpose.precision': 'int8', INT8_FORMAT_KEY: 'u8s7'}),
    ):
        paths[name] = tmp_path / f'{name}.onnx'
        paths[name].write_bytes(model_path.read_bytes())
        set_metadata(paths[name], metadata)
    for name in ('u8s8', 'old'):
        with pytest.warns(UserWarning, match=r'8-bit weights \(u8s8\).*x86_64 AVX2.*u8s7'):
            assert LandmarkRuntime(paths[name]).int8_format == 'u8s8'
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        assert LandmarkRuntime(paths['u8s7']).int8_format == 'u8s7'
        assert LandmarkRuntime(model_path).int8_format is None
        monkeypatch.setattr(runtime, 'cpu_isa', lambda: dict(avx2, vnni=True))
        LandmarkRuntime(paths['u8s8'])
