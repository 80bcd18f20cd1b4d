"""The package as a user installs it: build the wheel, install it into a
fresh virtual environment (the pinned stack reused, not rr_mmpose's
editable install), and use it from a directory outside the checkout."""

import json
import os
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from pathlib import Path

import pytest

from ..helpers import REPO, h3r_fixture

pytestmark = pytest.mark.slow

PAPER_CONFIG = 'face_2d_keypoint/rr_heatmap/300w/td-hm_mobilenetv2_rr-8xb64-60e_300w-p2-128x128.py'


def run(cmd, cwd, env=None) -> str:
    done = subprocess.run(
        [str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise AssertionError(f'{cmd} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}')
    return done.stdout


@pytest.fixture(scope='module')
def installed(tmp_path_factory):
    """(python, workdir, wheel): a venv holding only the built wheel, which
    sees the pinned stack through a path entry, run from outside the repo."""
    root = tmp_path_factory.mktemp('wheel')
    source = root / 'source'
    # Build from the tracked files, as a clean clone would; the checkout's
    # editable link (rr_mmpose/.mim) is not part of it.
    files = run(['git', 'ls-files', '-z'], REPO).split('\0')
    for name in filter(None, files):
        if (REPO / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            (source / name).write_bytes((REPO / name).read_bytes())
    dist = root / 'dist'
    run(
        [sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '-q']
        + ['-w', dist, source],
        root,
    )
    (wheel,) = dist.glob('rr_mmpose-*.whl')
    venv = root / 'venv'
    run([sys.executable, '-m', 'venv', '--without-pip', venv], root)
    site = Path(
        run(
            [
                venv / 'bin/python',
                '-c',
                'import sysconfig; print(sysconfig.get_paths()["purelib"])',
            ],
            root,
        ).strip()
    )
    # The pinned stack, as a plain path entry: the .pth files there (the
    # editable rr_mmpose among them) are not processed.
    (site / 'pinned_stack.pth').write_text(sysconfig.get_paths()['purelib'] + '\n')
    run(
        [sys.executable, '-m', 'pip', 'install', '--no-deps', '--no-index', '-q']
        + ['--target', site, wheel],
        root,
    )
    work = root / 'user'
    work.mkdir()
    return venv / 'bin/python', work, wheel, source


def test_the_wheel_carries_the_configs(installed):
    _, _, wheel, source = installed
    names = zipfile.ZipFile(wheel).namelist()
    shipped = sorted(n for n in names if n.startswith('rr_mmpose/.mim/configs/'))
    tracked = [p for p in (source / 'configs').rglob('*') if p.is_file()]
    assert shipped == sorted('rr_mmpose/.mim/' + p.relative_to(source).as_posix() for p in tracked)
    assert sum(n.endswith('.py') for n in shipped) >= 28
    assert sum(n.endswith('metafile.yml') for n in shipped) >= 6  # the model index ships too


def test_installed_package_loads_a_config_and_trains_with_mmpose_tools(installed):
    python, work, _, _ = installed
    env = dict(os.environ, PYTHONWARNINGS='ignore')
    env.pop('PYTHONPATH', None)
    probe = textwrap.dedent(f"""
        import json, rr_mmpose
        from mmengine.config import Config
        from rr_mmpose.utils import mmpose_tool
        path = rr_mmpose.config_path({PAPER_CONFIG!r})
        cfg = Config.fromfile(path)
        print(json.dumps(dict(package=rr_mmpose.__file__, config=path,
                              loss=cfg.model.head.loss.type, train=str(mmpose_tool('train.py')))))
    """)
    found = json.loads(run([python, '-c', probe], work, env).strip().splitlines()[-1])
    site = str(python.parents[1])
    assert found['package'].startswith(site) and found['config'].startswith(site)
    assert not found['package'].startswith(str(REPO))

    run(
        [
            python,
            '-m',
            'rr_mmpose.datasets.generate_faces',
            'faces',
            '--num-train',
            '4',
            '--num-test',
            '2',
        ],
        work,
        env,
    )
    options = ['model.backbone.init_cfg=None']
    for loader, split in (('train_dataloader', 'train'), ('val_dataloader', 'test')):
        options += [
            f'{loader}.dataset.data_root=faces',
            f'{loader}.dataset.ann_file=annotations/face_landmarks_300w_{split}.json',
            f'{loader}.dataset.data_prefix.img=images/',
            f'{loader}.batch_size=4',
            f'{loader}.num_workers=0',
            f'{loader}.persistent_workers=False',
        ]
    options += [
        'train_cfg.max_epochs=1',
        'train_cfg.val_interval=100',
        'default_hooks.checkpoint.interval=1',
    ]
    run(
        [python, found['train'], found['config'], '--work-dir', 'run', '--cfg-options', *options],
        work,
        env,
    )
    assert (work / 'run' / 'epoch_1.pth').is_file()


def test_installed_converter_takes_a_released_model_directory(installed, tmp_path):
    """A WFLW MobileNetV2 directory as H3R released it (its config.yaml
    names no dataset: torchalign's default WFLW applies), no --config."""
    import torch

    from rr_mmpose.h3r import load_h3r_config
    from rr_mmpose.testing.h3r_reference import H3RNetwork, write_h3r_model_dir

    python, work, _, _ = installed
    released = h3r_fixture('wflw/mobilenet_128x128_p2')
    torch.manual_seed(0)
    model_dir = write_h3r_model_dir(
        work / 'h3r_model', H3RNetwork(load_h3r_config(released)).state_dict(), released
    )
    env = dict(os.environ, PYTHONWARNINGS='ignore')
    env.pop('PYTHONPATH', None)
    out = run(
        [
            python,
            '-m',
            'rr_mmpose.h3r.convert',
            model_dir,
            'h3r.pth',
            '--inference-config',
            'h3r.py',
        ],
        work,
        env,
    )
    assert 'h3r.pth' in out and (work / 'h3r.pth').is_file() and (work / 'h3r.py').is_file()
    meta = torch.load(work / 'h3r.pth', weights_only=True)['meta']
    assert meta['config'].endswith('wflw/td-hm_mobilenetv2_rr-8xb64-60e_wflw-p2-128x128.py')
    assert meta['config'].startswith(str(python.parents[1]))

    # No config.yaml: the clear error, and nothing written.
    (tmp_path / 'empty').mkdir()
    bad = subprocess.run(
        [str(python), '-m', 'rr_mmpose.h3r.convert', str(tmp_path / 'empty'), 'bad.pth'],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode != 0 and 'config.yaml' in bad.stderr
    assert not (work / 'bad.pth').exists()
