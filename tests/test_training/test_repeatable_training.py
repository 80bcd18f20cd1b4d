"""The studies' runs repeat: the same config and seed train to the same
weights, for an RTMPose row (Albumentation, mmdet's HSV augmentation, the
pipeline switch, EMA, a loader worker) as for a heatmap row."""

import pytest
import torch
from mmengine.runner import Runner

from tools.benchmarks.rows import Row, row_config

pytestmark = pytest.mark.slow  # trains

ROWS = [
    Row('rtmpose-t', 'SimCCLabel s=2', 64, epochs=6),
    Row('mobilenetv2', 'two-class spatial', 64, epochs=2),
]


def trained_weights(row, data_root, work_dir) -> dict:
    # Epochs of one iteration; RTMPose's 6 let its pipeline switch (at 50 of
    # 60 epochs, scaled) restart the loader worker before the last one.
    cfg = row_config(row, 0, data_root, work_dir)
    runner = Runner.from_cfg(cfg)
    runner.train()
    return {k: v.clone() for k, v in runner.model.state_dict().items()}


@pytest.mark.parametrize('row', ROWS, ids=lambda r: r.name)
def test_the_same_seed_trains_the_same_weights(row, tiny_faces, tmp_path):
    first = trained_weights(row, tiny_faces, tmp_path / 'a')
    second = trained_weights(row, tiny_faces, tmp_path / 'b')
    assert first.keys() == second.keys()
    changed = [k for k in first if not torch.equal(first[k], second[k])]
    assert not changed, f'{len(changed)} tensors differ, e.g. {changed[:3]}'
