"""Convert WFLW's original annotation lists to MMPose's COCO-style JSON.

    python tools/dataset_converters/wflw2coco.py \
        WFLW_annotations/list_98pt_rect_attr_train_test WFLW_images data/wflw

Then link WFLW_images as data/wflw/images. Writes P1 (landmark box) and P2
(WFLW's box) files, with the six attribute subsets of the test split.
"""

from rr_mmpose.datasets.converters.wflw import main

if __name__ == '__main__':
    main()
