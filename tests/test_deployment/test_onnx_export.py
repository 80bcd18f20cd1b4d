"""ONNX export of backbone + head + decoding, checked with onnxruntime."""

import numpy as np
import pytest
import torch
from mmpose.registry import KEYPOINT_CODECS

from rr_mmpose.deployment import DecodedPoseModel, cpu_session, export_graph, export_onnx

from ..helpers import (
    DecodeOnly,
    clear_of_topk_ties,
    random_demo_model,
    random_rtmpose_model,
)
from ..simcc_helpers import SIZE, ideal_logits, make_codec


@pytest.fixture(scope='module')
def model():
    return random_demo_model()


def test_network_graph_matches_pytorch(model, tmp_path):
    """Maps to 1e-4 at batch 1 and 3 (dynamic batch); coordinates to 1e-3 px
    wherever the top-k is not decided by a float-rounding tie (the 9th and
    10th cells of an untrained network's maps can be that close)."""
    sess = cpu_session(export_onnx(model, tmp_path / 'model.onnx', with_maps=True))
    assert [o.name for o in sess.get_outputs()] == ['keypoints', 'scores', 'maps']
    for batch in (1, 3):
        crops = torch.randn(batch, 3, 128, 128, generator=torch.Generator().manual_seed(batch))
        with torch.no_grad():
            ref_kpts, ref_scores, ref_maps = DecodedPoseModel(model, with_maps=True)(crops)
        kpts, scores, maps = sess.run(None, {'input': crops.numpy()})
        assert kpts.shape == (batch, 68, 2) and scores.shape == (batch, 68)
        map_err = np.abs(maps - ref_maps.numpy()).max()
        assert map_err < 1e-4
        clear = clear_of_topk_ties(ref_maps, map_err)
        err = np.abs(kpts - ref_kpts.numpy()).max(-1)
        assert clear.sum() >= 20 and err[clear].max() < 1e-3
        assert np.abs(scores - ref_scores.numpy()).max() < 1e-4


def test_decoding_graph_is_lossless(tmp_path, rng):
    """The exported top-k decoding on ideal maps: exact sub-pixel points."""
    codec = KEYPOINT_CODECS.build(
        dict(type='RandomizedRoundingHeatmap', input_size=(128, 128), heatmap_size=(32, 32))
    )
    expected = KEYPOINT_CODECS.build(
        dict(
            type='RandomizedRoundingHeatmap',
            input_size=(128, 128),
            heatmap_size=(32, 32),
            target_mode='expected',
        )
    )
    keypoints = rng.uniform(0, 124, (4, 68, 2))
    maps = np.stack(
        [np.log(np.maximum(expected.encode(k[None])['heatmaps'], 1e-30)) for k in keypoints]
    ).astype(np.float32)
    path = export_graph(
        DecodeOnly(codec),
        [torch.from_numpy(maps)],
        tmp_path / 'decode.onnx',
        ['maps'],
        ['keypoints', 'scores'],
    )
    decoded, _ = cpu_session(path).run(None, {'maps': maps})
    assert np.abs(decoded - keypoints).max() < 1e-3 * 4  # 1e-3 heatmap px


def test_calibrated_scores_are_in_the_graph(tmp_path):
    """A codec with a fitted score calibration exports it: the graph's
    scores equal PyTorch's on peaked random maps."""
    codec = KEYPOINT_CODECS.build(
        dict(
            type='RandomizedRoundingHeatmap',
            input_size=(128, 128),
            heatmap_size=(32, 32),
            score_temperature=0.7,
            score_bias=-1.0,
        )
    )
    logits = 4 * torch.randn(2, 68, 32 * 32, generator=torch.Generator().manual_seed(0))
    maps = logits.log_softmax(-1).view(2, 68, 32, 32)
    path = export_graph(
        DecodeOnly(codec), [maps], tmp_path / 'decode.onnx', ['maps'], ['keypoints', 'scores']
    )
    _, scores = cpu_session(path).run(None, {'maps': maps.numpy()})
    _, reference = codec.decode_tensor(maps)
    assert np.abs(scores - reference.numpy()).max() < 1e-5
    assert np.ptp(scores) > 0.1  # scores of all kinds, not a saturated sigmoid


def test_rtmpose_with_randomized_rounding_exports_with_its_decode(tmp_path):
    """RTMCCHead decoded by RandomizedRoundingSimCC: the graph's keypoints
    within 1e-3 px of PyTorch's, wherever the argmax that places the window
    is not a float-rounding tie."""
    net = random_rtmpose_model()
    sess = cpu_session(export_onnx(net, tmp_path / 'rtmpose.onnx'))
    crops = torch.randn(2, 3, 128, 128, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        ref_kpts, ref_scores = DecodedPoseModel(net)(crops)
        x, y = net.head.forward(net.extract_feat(crops))
    kpts, scores = sess.run(None, {'input': crops.numpy()})
    assert kpts.shape == (2, 68, 2) and scores.shape == (2, 68)

    def margin(logits):
        top = logits.topk(2, dim=-1).values
        return (top[..., 0] - top[..., 1]).numpy()

    clear = np.minimum(margin(x), margin(y)) > 1e-4
    err = np.abs(kpts - ref_kpts.numpy()).max(-1)
    assert clear.sum() >= 100 and err[clear].max() < 1e-3
    assert np.abs(scores - ref_scores.numpy()).max() < 1e-4


def test_simcc_decoding_graph_matches_pytorch(tmp_path, rng):
    codec = make_codec(simcc_split_ratio=2.0)
    path = tmp_path / 'decode.onnx'
    zeros = (torch.zeros(2, 17, 256), torch.zeros(2, 17, 256))
    export_graph(DecodeOnly(codec), zeros, path, ['simcc_x', 'simcc_y'], ['keypoints', 'scores'])
    session = cpu_session(path)
    keypoints = rng.uniform(1, SIZE - 2, (3, 17, 2))
    ideal = ideal_logits(keypoints, 2.0)
    generator = torch.Generator().manual_seed(0)
    random = tuple(torch.randn(1, 17, 256, generator=generator) for _ in range(2))
    for x, y in (ideal, random):
        ref_kpts, ref_scores = codec.decode_tensor(x, y)
        kpts, scores = session.run(None, {'simcc_x': x.numpy(), 'simcc_y': y.numpy()})
        assert kpts.shape == (x.shape[0], 17, 2) and scores.shape == (x.shape[0], 17)
        assert np.abs(kpts - ref_kpts.numpy()).max() < 1e-3
        assert np.abs(scores - ref_scores.numpy()).max() < 1e-5
    kpts, _ = session.run(None, {'simcc_x': ideal[0].numpy(), 'simcc_y': ideal[1].numpy()})
    assert np.abs(kpts - keypoints).max() < 1e-3
