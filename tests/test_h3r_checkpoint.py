"""Converting H3R's released checkpoint layout, with parity against H3R's
networks rebuilt without MMPose (``rr_mmpose.testing``): MobileNetV2 from
torchvision's ``features`` (as H3R's ``backbone.features.<i>`` names show),
HRNet from timm's port of the classic HRNet."""

import numpy as np
import pytest
import torch
from mmpose.apis import init_model

from rr_mmpose.deployment import CheckpointConversionError, convert_h3r_checkpoint
from rr_mmpose.testing import (
    H3RHRNet,
    H3RMobileNetV2,
    calibrate_batch_norm,
    h3r_decode,
    h3r_state_dict,
    randomise_batch_norm,
    write_h3r_model_dir,
)

K = 98


def write_model_dir(path, state, arch='mobilenetv2', size=256):
    return write_h3r_model_dir(path, state, arch=arch, size=size, num_keypoints=K)


@pytest.fixture(scope='module')
def h3r_net():
    return randomise_batch_norm(H3RMobileNetV2(K))


@pytest.mark.parametrize(
    ('arch', 'reference', 'config'),
    [
        ('mobilenetv2', H3RMobileNetV2, 'td-hm_mobilenetv2_rr-8xb64-60e_wflw-p2-256x256.py'),
        # H3R keeps the classic HRNet names, which MMPose's HRNet and timm's
        # port share; the reference is timm's, independent of MMPose's code.
        ('hrnet18', H3RHRNet, 'td-hm_hrnetv2-w18_rr-8xb64-60e_wflw-p2-256x256.py'),
    ],
)
def test_parity_logits_and_landmarks(arch, reference, config, tmp_path):
    """The converted model against H3R's network rebuilt without MMPose, on
    the same input: logits to 1e-4 and landmarks to 0.01 px (measured: both
    bit-identical). BN statistics are calibrated on random images, so
    activations stay O(1) and a mis-mapped BN would show."""
    torch.manual_seed(0)
    calibration = torch.randn(4, 3, 256, 256, generator=torch.Generator().manual_seed(5))
    net = calibrate_batch_norm(reference(K), calibration)
    model_dir = write_model_dir(tmp_path / arch, net.state_dict(), arch=arch)
    out = convert_h3r_checkpoint(model_dir, tmp_path / 'converted.pth')
    converted = torch.load(out, weights_only=True)
    assert converted['meta']['config'].endswith(config)
    back = h3r_state_dict(converted['state_dict'], arch, K)  # the inverse mapping
    assert back.keys() == net.state_dict().keys()
    assert all(torch.equal(back[k], v) for k, v in net.state_dict().items())
    model = init_model(
        converted['meta']['config'],
        str(out),
        device='cpu',
        cfg_options={'model.backbone.init_cfg': None, 'model.head.decode_scores': 'logits'},
    )
    x = torch.randn(2, 3, 256, 256, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        ours = model.head.forward(model.extract_feat(x))
        theirs = net(x)
    assert torch.allclose(ours, theirs, atol=1e-4)
    preds = model.head.decode(model.head.score_maps(ours))
    ref = h3r_decode(theirs).numpy()
    for pred, r in zip(preds, ref, strict=True):
        assert np.abs(pred.keypoints[0] - r).max() < 0.01


def test_missing_extra_and_misshaped_keys_are_named(h3r_net, tmp_path):
    state = dict(h3r_net.state_dict())
    state.pop('backbone.features.5.conv.1.1.running_var')
    state['backbone.extra.weight'] = torch.zeros(1)
    state['heatmap_head.head.layers.3.weight'] = torch.zeros(2 * K + 2, 152, 1, 1)
    model_dir = write_model_dir(tmp_path / 'bad', state)
    out = tmp_path / 'out' / 'converted.pth'
    with pytest.raises(CheckpointConversionError) as err:
        convert_h3r_checkpoint(model_dir, out)
    message = str(err.value)
    assert 'missing keys: backbone.layer3.1.conv.1.bn.running_var' in message
    assert 'unexpected keys: backbone.extra.weight' in message
    assert 'mis-shaped keys: head.layers.3.weight: (198, 152, 1, 1) != (196, 152, 1, 1)' in message
    assert not out.exists() and not list(out.parent.glob('*'))


def test_model_directory_problems(tmp_path):
    with pytest.raises(FileNotFoundError, match='config.yaml'):
        convert_h3r_checkpoint(tmp_path, tmp_path / 'x.pth')
    write_model_dir(tmp_path / 'resnet', {}, arch='resnet50')
    with pytest.raises(CheckpointConversionError, match="BACKBONE.ARCH='resnet50'"):
        convert_h3r_checkpoint(tmp_path / 'resnet', tmp_path / 'x.pth')
    (tmp_path / 'no_weights').mkdir()
    (tmp_path / 'no_weights' / 'config.yaml').write_text(
        (tmp_path / 'resnet' / 'config.yaml').read_text().replace('resnet50', 'mobilenetv2')
    )
    with pytest.raises(FileNotFoundError, match='model.pth: missing H3R weights'):
        convert_h3r_checkpoint(tmp_path / 'no_weights', tmp_path / 'x.pth')
    write_model_dir(tmp_path / 'odd', {}, size=192)
    with pytest.raises(
        CheckpointConversionError, match='no config here for mobilenetv2 wflw p2 192'
    ):
        convert_h3r_checkpoint(tmp_path / 'odd', tmp_path / 'x.pth')
    assert not (tmp_path / 'x.pth').exists()
