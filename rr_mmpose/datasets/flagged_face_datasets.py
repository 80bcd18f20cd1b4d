"""MMPose's face datasets, keeping each face's raw annotation: its
per-landmark visibility flags (1: occluded) and WFLW's attribute flags,
which ``FaceLandmarkMetric`` reads.

MMPose's face datasets collapse the COCO flags into ``keypoints_visible``
(``min(1, v)``) and drop the rest of the annotation; ``PackPoseInputs``
already carries ``raw_ann_info`` into each data sample's metainfo when a
dataset provides it, so keeping it is all it takes.
"""

from __future__ import annotations

from mmpose.datasets import Face300WDataset, WFLWDataset
from mmpose.registry import DATASETS


class KeepRawAnnotation:
    """Mixin for a face dataset: ``raw_ann_info`` stays in each sample of a
    test-mode dataset, the one the metric reads (training samples would only
    carry it through the pipeline)."""

    def parse_data_info(self, raw_data_info: dict) -> dict | None:
        data_info = super().parse_data_info(raw_data_info)
        if data_info is not None and self.test_mode:
            data_info['raw_ann_info'] = raw_data_info['raw_ann_info']
        return data_info


@DATASETS.register_module()
class FlaggedFace300WDataset(KeepRawAnnotation, Face300WDataset):
    """:class:`Face300WDataset` that keeps each face's raw annotation (the
    generated faces' occlusion flags)."""


@DATASETS.register_module()
class FlaggedWFLWDataset(KeepRawAnnotation, WFLWDataset):
    """:class:`WFLWDataset` that keeps each face's raw annotation (the
    occlusion and attribute flags the WFLW converter writes)."""
