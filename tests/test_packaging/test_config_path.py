"""rr_mmpose.config_path: shipped configs by name, clear errors otherwise."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from mmengine.config import Config

import rr_mmpose
from rr_mmpose.tools.launcher import shipped_config_argv
from rr_mmpose.utils import configs_root, shipped_configs

from ..helpers import CONFIGS

NAME = 'face_2d_keypoint/rr_heatmap/300w/td-hm_mobilenetv2_rr-8xb64-60e_300w-p2-128x128.py'


def test_every_config_of_the_repository_is_shipped_under_the_package():
    root = configs_root()
    assert root.parent.name == '.mim' and root.parent.parent == Path(rr_mmpose.__file__).parent
    in_repo = sorted(p.relative_to(CONFIGS).as_posix() for p in CONFIGS.rglob('*.py'))
    assert shipped_configs() == in_repo


def test_config_path_finds_a_shipped_config():
    path = rr_mmpose.config_path(NAME)
    assert Path(path).is_file()
    assert Config.fromfile(path).model.head.loss.type == 'TwoClassSpatialSoftmaxCELoss'


def test_an_unknown_name_lists_the_nearest_shipped_ones():
    with pytest.raises(FileNotFoundError, match='ships no config') as error:
        rr_mmpose.config_path(NAME.replace('128x128', '129x129'))
    assert NAME in str(error.value)  # the nearest name
    with pytest.raises(FileNotFoundError, match='300w-p2-128x128'):
        rr_mmpose.config_path('td-hm_mobilenetv2_rr-8xb64-60e_300w-p2-128x128.py')  # no folders


@pytest.mark.parametrize('name', ['/etc/passwd', '../setup.py', 'face_2d_keypoint/../../x.py'])
def test_names_outside_the_configs_root_are_refused(name):
    with pytest.raises(ValueError, match='relative to the shipped configs root'):
        rr_mmpose.config_path(name)


def test_the_tools_take_a_shipped_config_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = rr_mmpose.config_path(NAME)
    # The README's checkout path, and the name alone, both resolve here.
    for given in (f'configs/{NAME}', NAME):
        assert shipped_config_argv([given, '--work-dir', 'w']) == [path, '--work-dir', 'w']
    # A file of that name here wins; options and other packages' scopes pass.
    (tmp_path / 'mine.py').write_text('')
    for argv in (['mine.py', 'x.pth'], ['--help'], [], ['mmpose::face_2d_keypoint/x.py']):
        assert shipped_config_argv(argv) == argv


def test_the_tools_refuse_an_unknown_config_clearly_and_write_nothing(tmp_path):
    wrong = f'configs/{NAME.replace("128x128", "129x129")}'
    done = subprocess.run(
        [sys.executable, '-m', 'rr_mmpose.tools.test', wrong, 'epoch_60.pth'],
        cwd=tmp_path,
        # the package this test imported, not whichever the venv installed
        env={**os.environ, 'PYTHONPATH': str(Path(rr_mmpose.__file__).parents[1])},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1
    assert f'{wrong}: no such config file here' in done.stderr
    assert NAME in done.stderr  # the nearest shipped name
    assert list(tmp_path.iterdir()) == []
