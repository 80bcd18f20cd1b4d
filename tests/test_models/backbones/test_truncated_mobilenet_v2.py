"""TruncatedMobileNetV2: MMPose's MobileNetV2 without the stages after the
last requested one, and its guard against freezing stages that are cut."""

import pytest
import torch
from mmpose.models.backbones import MobileNetV2
from mmpose.registry import MODELS

from rr_mmpose.models.backbones import TruncatedMobileNetV2


def test_default_keeps_h3rs_stages_and_outputs():
    net = MODELS.build(dict(type='TruncatedMobileNetV2'))
    assert isinstance(net, TruncatedMobileNetV2) and isinstance(net, MobileNetV2)
    assert net.layers == ['layer1', 'layer2', 'layer3', 'layer4', 'layer5']
    for cut in ('layer6', 'layer7', 'conv2'):
        assert not hasattr(net, cut)
    feats = net(torch.zeros(1, 3, 128, 128))
    # H3R fuses the 1/4, 1/8 and 1/16 features: 24 + 32 + 96 = 152 channels.
    assert [tuple(f.shape[1:]) for f in feats] == [(24, 32, 32), (32, 16, 16), (96, 8, 8)]


def test_the_cut_stages_hold_no_parameters():
    full = sum(p.numel() for p in MobileNetV2(out_indices=(1, 2, 4)).parameters())
    cut = sum(p.numel() for p in TruncatedMobileNetV2().parameters())
    kept = MobileNetV2(out_indices=(1, 2, 4))
    expected = sum(
        p.numel() for name in ['conv1', *kept.layers[:5]] for p in getattr(kept, name).parameters()
    )
    assert cut == expected < full


def test_its_outputs_equal_the_full_networks():
    torch.manual_seed(0)
    full, cut = MobileNetV2(out_indices=(1, 2, 4)), TruncatedMobileNetV2()
    cut.load_state_dict(full.state_dict(), strict=False)
    full.eval()  # MobileNetV2.train returns None: no chaining
    cut.eval()
    images = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        for a, b in zip(full(images), cut(images), strict=True):
            torch.testing.assert_close(a, b)


def test_frozen_stages_inside_the_kept_part_are_frozen():
    net = TruncatedMobileNetV2(frozen_stages=2)
    net.train()
    assert not any(p.requires_grad for p in net.layer2.parameters())
    assert all(p.requires_grad for p in net.layer3.parameters())


def test_freezing_a_cut_stage_is_refused():
    """out_indices (1, 2, 4) keeps layer1..layer5; frozen_stages=6 would
    freeze layer6, which is cut."""
    with pytest.raises(ValueError, match='frozen_stages=6 freezes stages that are cut'):
        TruncatedMobileNetV2(frozen_stages=6)
    TruncatedMobileNetV2(frozen_stages=5)  # the last kept stage: allowed
