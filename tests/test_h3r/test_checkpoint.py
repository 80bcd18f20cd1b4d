"""The H3R checkpoint converter's key mapping and its refusals: every bad
model directory gets a clear error and nothing is written. Parity of all
16 released models: tests/test_h3r_models.py."""

import subprocess
import sys

import pytest
import torch
import yaml

from rr_mmpose.h3r import (
    CheckpointConversionError,
    H3RConfigError,
    convert_h3r_checkpoint,
    convert_state_dict,
    h3r_state_dict,
    load_h3r_config,
)
from rr_mmpose.h3r.convert import main
from rr_mmpose.testing.h3r_reference import H3RNetwork, write_h3r_model_dir

from ..helpers import h3r_fixture as fixture

pytestmark = pytest.mark.usefixtures('one_torch_thread')

MOBILENET = 'wflw/mobilenet_128x128_p2'


@pytest.fixture(scope='module')
def mobilenet_state():
    torch.manual_seed(0)
    return H3RNetwork(load_h3r_config(fixture(MOBILENET))).state_dict()


def nothing_written(directory) -> bool:
    return not directory.exists() or not list(directory.iterdir())


def test_mobilenet_keys_map_both_ways(mobilenet_state):
    """H3R's flat blocks onto MMPose's ConvModules (conv.3/.4 of an
    expansion-1 block is the projection; conv.6/.7 of an expansion-6 one)
    and back, key for key."""
    ours = convert_state_dict(mobilenet_state, 'mobilenetv2')
    expected = {
        'backbone.features.0.0.weight': 'backbone.conv1.conv.weight',
        'backbone.features.0.1.running_var': 'backbone.conv1.bn.running_var',
        'backbone.features.1.conv.0.weight': 'backbone.layer1.0.conv.0.conv.weight',
        'backbone.features.1.conv.4.bias': 'backbone.layer1.0.conv.1.bn.bias',
        'backbone.features.2.conv.3.weight': 'backbone.layer2.0.conv.1.conv.weight',
        'backbone.features.13.conv.7.running_mean': 'backbone.layer5.2.conv.2.bn.running_mean',
        'heatmap_head.head.layers.3.weight': 'head.layers.3.weight',
    }
    renamed = dict(zip(mobilenet_state, ours, strict=True))
    for h3r_key, mmpose_key in expected.items():
        assert renamed[h3r_key] == mmpose_key
    back = h3r_state_dict(ours, 'mobilenetv2')
    assert list(back) == list(mobilenet_state)


def test_missing_extra_and_misshaped_keys_are_named(mobilenet_state, tmp_path):
    state = dict(mobilenet_state)
    state.pop('backbone.features.5.conv.4.running_var')
    state['backbone.extra.weight'] = torch.zeros(1)
    state['heatmap_head.head.layers.3.weight'] = torch.zeros(198, 152, 1, 1)
    model_dir = write_h3r_model_dir(tmp_path / 'bad', state, fixture(MOBILENET))
    out = tmp_path / 'out'
    with pytest.raises(CheckpointConversionError) as err:
        convert_h3r_checkpoint(model_dir, out / 'converted.pth')
    message = str(err.value)
    assert 'missing keys: backbone.layer3.1.conv.1.bn.running_var' in message
    assert 'unexpected keys: backbone.extra.weight' in message
    assert 'mis-shaped keys: head.layers.3.weight: (198, 152, 1, 1) != (196, 152, 1, 1)' in message
    assert nothing_written(out)


def test_a_config_that_does_not_fit_the_model_is_refused(mobilenet_state, tmp_path):
    """--config of another size and dataset: the keys fit, H3R's settings
    do not; each mismatch is named."""
    model_dir = write_h3r_model_dir(tmp_path / 'm', mobilenet_state, fixture(MOBILENET))
    from rr_mmpose import config_path

    other = config_path(
        'face_2d_keypoint/rr_heatmap/300w/td-hm_mobilenetv2_rr-8xb64-60e_300w-p2-256x256.py'
    )
    with pytest.raises(CheckpointConversionError) as err:
        convert_h3r_checkpoint(model_dir, tmp_path / 'out' / 'x.pth', other)
    message = str(err.value)
    assert 'INPUT.SIZE: H3R (128, 128) != config (256, 256)' in message
    assert 'HEATMAP.OUT_CHANNEL: H3R 98 != config 68' in message
    assert 'INPUT.FLIP_ORDER' in message
    assert nothing_written(tmp_path / 'out')


@pytest.mark.parametrize(
    'config, error, match',
    [
        ({'BACKBONE': {'ARCH': 'resnet50'}}, CheckpointConversionError, "ARCH='resnet50'"),
        ({'INPUT': {'DATASET': 'COFW'}}, CheckpointConversionError, "DATASET='COFW'"),
        (
            {'INPUT': {'SIZE': [192, 192], 'BBOX': 'P2'}, 'BACKBONE': {'ARCH': 'mobilenetv2'}},
            CheckpointConversionError,
            'no config here for mobilenetv2 wflw p2 192x192',
        ),
        ({'INPUT': {'SIZES': [128, 128]}}, H3RConfigError, 'INPUT.SIZES is not a key'),
        ({'HEATMAP': {'STRIDE': 4}}, H3RConfigError, 'HEATMAP.STRIDE must be float'),
        ({'INPUT': 'WFLW'}, H3RConfigError, 'INPUT must be a section'),
    ],
)
def test_bad_config_yaml_is_refused(config, error, match, tmp_path):
    model_dir = write_h3r_model_dir(tmp_path / 'm', {}, config)
    with pytest.raises(error, match=match):
        convert_h3r_checkpoint(model_dir, tmp_path / 'out' / 'x.pth')
    assert nothing_written(tmp_path / 'out')


def test_model_directory_problems(tmp_path):
    with pytest.raises(FileNotFoundError, match='config.yaml'):
        convert_h3r_checkpoint(tmp_path, tmp_path / 'x.pth')
    (tmp_path / 'yaml').mkdir()
    (tmp_path / 'yaml' / 'config.yaml').write_text('INPUT: [unclosed\n')
    with pytest.raises(H3RConfigError, match='config.yaml: not valid YAML'):
        convert_h3r_checkpoint(tmp_path / 'yaml', tmp_path / 'x.pth')
    (tmp_path / 'no_weights').mkdir()
    (tmp_path / 'no_weights' / 'config.yaml').write_text(fixture(MOBILENET).read_text())
    with pytest.raises(FileNotFoundError, match='model.pth: missing H3R weights'):
        convert_h3r_checkpoint(tmp_path / 'no_weights', tmp_path / 'x.pth')
    # What a plain clone of H3R holds for each model.pth: its Git LFS pointer
    # (H3R's models/300w/hrnet18_256x256_p1/model.pth at 52a8bde, 133 bytes).
    (tmp_path / 'no_weights' / 'model.pth').write_text(
        'version https://git-lfs.github.com/spec/v1\n'
        'oid sha256:84d74c5a65b6e338e522f1af18f9548944c4c1c2e09347092bdb76537b63fbfc\n'
        'size 39205592\n'
    )
    with pytest.raises(CheckpointConversionError, match='a Git LFS pointer, not the weights'):
        convert_h3r_checkpoint(tmp_path / 'no_weights', tmp_path / 'x.pth')
    (tmp_path / 'no_weights' / 'model.pth').write_bytes(b'not a torch file')
    with pytest.raises(CheckpointConversionError, match='model.pth: not a readable torch file'):
        convert_h3r_checkpoint(tmp_path / 'no_weights', tmp_path / 'x.pth')
    assert not (tmp_path / 'x.pth').exists()


@pytest.mark.slow  # a subprocess
def test_installed_module_cli_writes_checkpoint_and_inference_config(mobilenet_state, tmp_path):
    """``python -m rr_mmpose.h3r.convert`` from outside the checkout, no
    --config; the flag's old name, --h3r-pipeline-config, is refused."""
    model_dir = write_h3r_model_dir(tmp_path / 'm', mobilenet_state, fixture(MOBILENET))
    out = tmp_path / 'out'
    done = subprocess.run(
        [sys.executable, '-m', 'rr_mmpose.h3r.convert', str(model_dir), str(out / 'h3r.pth')]
        + ['--inference-config', str(out / 'h3r.py')],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        text=True,
    )
    assert sorted(p.name for p in out.iterdir()) == ['h3r.pth', 'h3r.py']
    # It names the shipped config it matched: the one to test or export with.
    matched = torch.load(out / 'h3r.pth', weights_only=True)['meta']['config']
    assert matched.endswith('wflw/td-hm_mobilenetv2_rr-8xb64-60e_wflw-p2-128x128.py')
    assert f'(for {matched}: the config to test' in done.stdout
    dumped = (out / 'h3r.py').read_text()
    assert "type='H3RCropResize'" in dumped and "decode_scores='logits'" in dumped
    assert "type='H3RDataPreprocessor'" in dumped
    old = tmp_path / 'old'
    with pytest.raises(SystemExit):
        main([str(model_dir), str(old / 'h3r.pth'), '--h3r-pipeline-config', str(old / 'h3r.py')])
    assert not old.exists()
    with pytest.raises(SystemExit, match=r'^error: .*config.yaml.*; nothing written$'):
        main([str(tmp_path / 'none'), str(tmp_path / 'x.pth'), '--inference-config', 'x.py'])
    assert not (tmp_path / 'x.pth').exists() and not (tmp_path / 'x.py').exists()


def test_h3r_config_defaults_fill_what_a_file_leaves_out():
    wflw = load_h3r_config(fixture('wflw/hrnet18_256x256_p2'))
    assert wflw['INPUT']['DATASET'] == 'WFLW' and len(wflw['INPUT']['FLIP_ORDER']) == 98
    assert wflw['INPUT']['SCALE'] == 1.25 and wflw['INPUT']['FLIP'] is True
    assert wflw['HEATMAP']['STRIDE'] == 4.0 and wflw['HEATMAP']['TOPK'] == 9
    raw = yaml.safe_load(fixture('wflw/hrnet18_256x256_p2').read_text())
    assert 'DATASET' not in raw['INPUT'] and 'FLIP_ORDER' not in raw['INPUT']
    lapa = load_h3r_config(fixture('lapa/hrnet32_256x256_p2'))
    assert lapa['INPUT']['DATASET'] == 'JDL' and len(lapa['INPUT']['FLIP_ORDER']) == 106
    assert lapa['HEATMAP']['IN_CHANNEL'] == 480


def test_a_converted_checkpoint_carries_its_config_text(mobilenet_state, tmp_path):
    """Moved to a machine without the config file, the checkpoint still
    says which model it holds (mmengine keeps ``meta['cfg']`` likewise)."""
    from rr_mmpose.h3r import checkpoint_config

    model_dir = write_h3r_model_dir(tmp_path / 'm', mobilenet_state, fixture(MOBILENET))
    meta = torch.load(convert_h3r_checkpoint(model_dir, tmp_path / 'c.pth'), weights_only=True)[
        'meta'
    ]
    here = checkpoint_config(meta)
    elsewhere = checkpoint_config(dict(meta, config=str(tmp_path / 'gone.py')))
    assert elsewhere.model.to_dict() == here.model.to_dict() | {
        'backbone': dict(here.model.backbone, init_cfg=None)
    }
    assert elsewhere.model.head.loss.type == 'TwoClassSpatialSoftmaxCELoss'
