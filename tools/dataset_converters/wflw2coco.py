"""Convert WFLW's original annotation lists to MMPose's COCO-style JSON.

    python tools/dataset_converters/wflw2coco.py \
        WFLW_annotations/list_98pt_rect_attr_train_test WFLW_images data/wflw

Then link WFLW_images as data/wflw/images. Writes P1 (landmark box) and P2
(WFLW's box) files, with the six attribute subsets of the test split.
"""

import argparse

from rr_mmpose.datasets.converters import convert_wflw

if __name__ == '__main__':
    parser = argparse.ArgumentParser(description='WFLW -> MMPose COCO-style JSON')
    parser.add_argument('annotation_dir', help='folder with list_98pt_rect_attr_*.txt')
    parser.add_argument('image_root', help='the WFLW_images folder')
    parser.add_argument('out_dir', nargs='?', default='data/wflw')
    args = parser.parse_args()
    for path in convert_wflw(args.annotation_dir, args.image_root, args.out_dir):
        print(path)
