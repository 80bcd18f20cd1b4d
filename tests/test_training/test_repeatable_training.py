"""The studies' runs repeat: the same config and seed train to the same
weights and the same NME curve, for an RTMPose row under MMPose's recipe
and under the RTMPose study's (Albumentation, mmdet's HSV augmentation, the
pipeline switch, EMA, a loader worker) as for a heatmap row."""

from dataclasses import replace

import pytest
import torch
from mmengine.runner import Runner

from tools.benchmarks import rtmpose, study
from tools.benchmarks.rows import Row, row_config

pytestmark = pytest.mark.slow  # trains

# Epochs of one iteration (16 faces at batch 16). MMPose's recipe over 6
# lets its pipeline switch (at 50 of 60 epochs, scaled) restart the loader
# worker before the last one; the study's recipe keeps its stage-2 pipeline,
# learning rate and decay, on 16 faces instead of its 960.
ROWS = [
    Row('rtmpose-t', 'SimCCLabel s=2', 64, epochs=6),
    Row('rtmpose-t', 'RR s=2', 64, epochs=6, recipe=replace(rtmpose.RECIPE, num_train=16)),
    Row('mobilenetv2', 'two-class spatial', 64, epochs=2),
]


def trained(row, data_root, work_dir) -> tuple[dict, list[float]]:
    """The weights ``row`` trains to at seed 0, and its NME curve (%)."""
    runner = Runner.from_cfg(row_config(row, 0, data_root, work_dir))
    curve = study.NMECurve()
    runner.register_hook(curve, priority='LOWEST')
    runner.train()
    return {k: v.clone() for k, v in runner.model.state_dict().items()}, curve.nme


@pytest.mark.parametrize(
    'row', ROWS, ids=lambda r: r.name + (' study recipe' if r.recipe.tag else '')
)
def test_the_same_seed_trains_the_same_weights_and_curve(row, tiny_faces, tmp_path):
    first, first_nme = trained(row, tiny_faces, tmp_path / 'a')
    second, second_nme = trained(row, tiny_faces, tmp_path / 'b')
    assert len(first_nme) == row.epochs
    # the bar is 3 decimals; equal weights give equal curves
    assert [round(x, 3) for x in first_nme] == [round(x, 3) for x in second_nme]
    assert first.keys() == second.keys()
    changed = [k for k in first if not torch.equal(first[k], second[k])]
    assert not changed, f'{len(changed)} tensors differ, e.g. {changed[:3]}'
