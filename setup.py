"""rr-mmpose: the package, with its configs shipped as package data.

As OpenMMLab packages do, ``configs/`` is shipped under ``rr_mmpose/.mim/``:
copied into the built package for a wheel, linked for an editable install,
so that ``rr_mmpose.config_path(name)`` finds it either way.
"""

import shutil
import sys
from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
MIM_FILES = ('configs',)


def link_mim_files() -> None:
    """Editable install: link ``rr_mmpose/.mim/<name>`` to the checkout's."""
    mim = ROOT / 'rr_mmpose' / '.mim'
    mim.mkdir(exist_ok=True)
    for name in MIM_FILES:
        target = mim / name
        if target.is_symlink() or target.is_file():
            target.unlink()
        elif target.is_dir():
            shutil.rmtree(target)
        target.symlink_to(Path('..', '..', name))


class BuildPyWithMimFiles(build_py):
    """Wheel or sdist build: copy ``configs/`` into the built package, not
    into the source tree (which may be an editable install's)."""

    def run(self) -> None:
        super().run()
        if getattr(self, 'editable_mode', False):
            return
        for name in MIM_FILES:
            target = Path(self.build_lib) / 'rr_mmpose' / '.mim' / name
            if target.is_symlink() or target.is_file():
                target.unlink()
            elif target.is_dir():
                shutil.rmtree(target)
            shutil.copytree(ROOT / name, target, ignore=shutil.ignore_patterns('__pycache__'))


if {'develop', 'editable_wheel'} & set(sys.argv):
    link_mim_files()
version: dict = {}
exec((ROOT / 'rr_mmpose' / 'version.py').read_text(), version)

setup(
    name='rr-mmpose',
    version=version['__version__'],
    description='Heatmap regression via randomized rounding (H3R) for MMPose',
    long_description=(ROOT / 'README.md').read_text(encoding='utf-8'),
    long_description_content_type='text/markdown',
    packages=find_packages(include=['rr_mmpose', 'rr_mmpose.*']),
    cmdclass={'build_py': BuildPyWithMimFiles},
    python_requires='>=3.10',
    # What the package imports. The pinned versions, and mmcv compiled
    # against the installed torch, come from tools/setup_env.sh.
    install_requires=[
        # Upper bounds: the plugin subclasses and patches MMPose 1.3 internals.
        'mmcv>=2.0.0,<2.2.0',
        'mmdet>=3.0.0,<3.4.0',
        'mmengine>=0.10.0,<1.0.0',
        'mmpose>=1.3.0,<1.4.0',
        'numpy',
        'opencv-python',
        'pillow',
        'pyyaml',
        'scipy',
        'torch',
        'torchvision',
    ],
    # LS3D-W's Lua .t7 landmark files (rr_mmpose.datasets.converters.face300wlp).
    extras_require={'ls3dw': ['torchfile']},
    license='Apache-2.0',
)
