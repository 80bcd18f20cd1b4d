"""Convert LaPa's original landmark files to MMPose's COCO-style JSON.

    python tools/dataset_converters/lapa2coco.py LaPa data/lapa

Then link LaPa (the folder holding train/, val/, test/) as data/lapa/images.
P2 boxes come from <split>/bbox/<name>.txt where present (see the summary
printed per split), else the landmark box.
"""

import argparse

from rr_mmpose.datasets.converters import convert_lapa

if __name__ == '__main__':
    parser = argparse.ArgumentParser(description='LaPa -> MMPose COCO-style JSON')
    parser.add_argument('lapa_root', help='folder holding train/, val/ and test/')
    parser.add_argument('out_dir', nargs='?', default='data/lapa')
    args = parser.parse_args()
    for path in convert_lapa(args.lapa_root, args.out_dir):
        print(path)
