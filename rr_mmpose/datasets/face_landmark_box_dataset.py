"""68-point faces whose NME is normalised by the ground-truth landmark box,
as H3R's AFLW2000-3D and LS3D-W tests do."""

from __future__ import annotations

import numpy as np
from mmpose.datasets import Face300WDataset
from mmpose.datasets.transforms import PackPoseInputs
from mmpose.registry import DATASETS


@DATASETS.register_module()
class FaceLandmarkBoxDataset(Face300WDataset):
    """:class:`Face300WDataset` (300W's 68-point layout and flip pairs)
    whose annotations may carry ``box_size``: ``sqrt(w * h)`` of the
    ground-truth landmark box, H3R's normaliser on AFLW2000-3D and LS3D-W.

    MMPose's ``NME`` takes a per-instance normaliser from
    ``gt_instances[norm_item]``, but ``PackPoseInputs`` only packs the keys
    of its ``instance_mapping_table``; the table can be given per sample,
    so each sample with a ``box_size`` names it there too. Then::

        val_evaluator = dict(type='NME', norm_mode='use_norm_item', norm_item='box_size')

    MMPose's own ``Face300WLPDataset`` is not used: its metainfo has no flip
    pairs, so horizontal flips would not swap left and right points.
    In test mode every annotation must have ``box_size``.
    """

    def parse_data_info(self, raw_data_info: dict) -> dict | None:
        data_info = super().parse_data_info(raw_data_info)
        ann = raw_data_info['raw_ann_info']
        if 'box_size' in ann:
            data_info['box_size'] = np.array([ann['box_size']], dtype=np.float32)
            data_info['instance_mapping_table'] = dict(
                PackPoseInputs.instance_mapping_table, box_size='box_size'
            )
        elif self.test_mode:
            raise KeyError(
                f'{self.ann_file}: annotation {ann.get("id")} has no "box_size", which the '
                'NME of this dataset is normalised by (converters write it)'
            )
        return data_info
