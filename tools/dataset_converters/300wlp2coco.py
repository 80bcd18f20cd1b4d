"""Convert 300W-LP (.mat), AFLW2000-3D (.mat) and LS3D-W (.t7) to MMPose's
COCO-style JSON, for the 300W-LP configs.

    python tools/dataset_converters/300wlp2coco.py data/300wlp \
        --300w-lp 300W_LP --aflw2000 AFLW2000 [--ls3dw LS3D-W]

Then link each source folder under data/300wlp/images/ by the name its
image paths start with (300W_LP, AFLW2000, LS3D-W). The same as
``python -m rr_mmpose.datasets.converters.face300wlp``.
"""

from rr_mmpose.datasets.converters.face300wlp import main

if __name__ == '__main__':
    main()
