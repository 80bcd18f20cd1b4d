"""Convert 300W's .pts files to MMPose's COCO-style JSON.

    python tools/dataset_converters/300w2coco.py 300W data/300w \
        [--private-root 300W_test] [--boxes detector_boxes.txt]

Then link 300W as data/300w/images (and the private test set as
data/300w/images/300W_private). Splits: train, test_common,
test_challenging, test_full and, with --private-root, test_private.
"""

from rr_mmpose.datasets.converters.face300w import main

if __name__ == '__main__':
    main()
