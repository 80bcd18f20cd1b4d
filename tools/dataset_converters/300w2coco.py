"""Convert 300W's .pts files to MMPose's COCO-style JSON.

    python tools/dataset_converters/300w2coco.py 300W data/300w \
        [--private-root 300W_test] [--boxes detector_boxes.txt]

Then link 300W as data/300w/images (and the private test set as
data/300w/images/300W_private). Splits: train, test_common,
test_challenging, test_full and, with --private-root, test_private.
"""

import argparse

from rr_mmpose.datasets.converters import convert_300w

if __name__ == '__main__':
    parser = argparse.ArgumentParser(description='300W -> MMPose COCO-style JSON')
    parser.add_argument('root', help='folder holding lfpw/, helen/, afw/ and ibug/')
    parser.add_argument('out_dir', nargs='?', default='data/300w')
    parser.add_argument('--private-root', help='300W test set (01_Indoor/, 02_Outdoor/)')
    parser.add_argument('--boxes', help='"<image> x_min y_min x_max y_max" lines for P2')
    args = parser.parse_args()
    for path in convert_300w(args.root, args.out_dir, args.private_root, args.boxes):
        print(path)
