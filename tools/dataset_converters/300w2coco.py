"""Convert 300W's .pts files to MMPose's COCO-style JSON.

    python tools/dataset_converters/300w2coco.py FACES_300W data/300w \
        [--private-root PRIVATE_300W]

FACES_300W holds lfpw/, helen/, afw/ and ibug/; PRIVATE_300W the 300W test
set's 01_Indoor/ and 02_Outdoor/. Then link those four folders into
data/300w/images/ (and PRIVATE_300W as data/300w/images/300W_private), as
docs/datasets.md shows. Splits: train, test_common, test_challenging,
test_full and, with --private-root, test_private.
"""

from rr_mmpose.datasets.converters.face300w import main

if __name__ == '__main__':
    main()
