"""Convert LaPa's original landmark files to MMPose's COCO-style JSON.

    python tools/dataset_converters/lapa2coco.py LaPa data/lapa

Then link LaPa (the folder holding train/, val/, test/) as data/lapa/images.
P2 boxes come from <split>/bbox/<name>.txt where present (see the summary
printed per split), else the landmark box.
"""

from rr_mmpose.datasets.converters.lapa import main

if __name__ == '__main__':
    main()
