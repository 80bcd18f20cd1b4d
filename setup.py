from pathlib import Path

from setuptools import find_packages, setup

version: dict = {}
exec((Path(__file__).parent / 'rr_mmpose' / 'version.py').read_text(), version)

setup(
    name='rr-mmpose',
    version=version['__version__'],
    description='Heatmap regression via randomized rounding (H3R) for MMPose',
    long_description=Path('README.md').read_text(encoding='utf-8'),
    long_description_content_type='text/markdown',
    packages=find_packages(include=['rr_mmpose', 'rr_mmpose.*']),
    python_requires='>=3.10',
    # The OpenMMLab stack is pinned and installed by tools/setup_env.sh
    # (mmcv must be compiled against the installed torch).
    install_requires=['mmpose>=1.3.0', 'mmengine>=0.10.0', 'numpy', 'torch'],
    license='Apache-2.0',
)
