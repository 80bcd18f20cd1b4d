"""The README's "Use the codec" snippets, applied as it says to MMPose's own
configs (the ones its installed package ships): the edited config builds,
every target and decoder is the randomized-rounding codec, and the model
trains a step and predicts with flip test."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import mmpose
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from mmpose.registry import MODELS
from mmpose.utils import register_all_modules

from ..helpers import REPO, encoders
from ..simcc_helpers import assert_trains_what_it_decodes

README = (REPO / 'README.md').read_text()
MMPOSE_CONFIGS = Path(mmpose.__file__).parent / '.mim' / 'configs'


def snippet(heading: str) -> str:
    """The first python block of the README after ``heading``."""
    block = re.search(r'```python\n(.*?)```', README.split(heading, 1)[1], re.DOTALL)
    assert block, f'the README has no python block after {heading!r}'
    return block.group(1)


def edited(config: Path, edits: str, tmp_path: Path, edit_head: bool) -> Config:
    """``config`` with the snippet ``edits`` done in place: each top-level
    name replaces the config's own (``custom_imports`` is added), ``model``
    is set key by key (its backbone stays), and its ``head`` is either
    replaced (``edit_head=False``) or, as in the RTMPose snippet, set key by
    key too."""
    tree = ast.parse(config.read_text())
    assigned = {n.targets[0].id: n for n in tree.body if isinstance(n, ast.Assign)}
    for edit in ast.parse(edits).body:
        name = edit.targets[0].id
        if name not in assigned:
            tree.body.insert(0, edit)
        elif name != 'model':
            assigned[name].value = edit.value
        else:
            model = assigned[name].value
            for kw in edit.value.keywords:
                merge_into(model, kw, recurse=edit_head and kw.arg == 'head')
    # the edited file lives elsewhere: its _base_ paths become absolute
    base = assigned['_base_'].value
    base.elts = [ast.Constant(str((config.parent / e.value).resolve())) for e in base.elts]
    path = tmp_path / config.name
    path.write_text(ast.unparse(tree))
    return Config.fromfile(str(path))


def merge_into(call: ast.Call, kw: ast.keyword, recurse: bool) -> None:
    own = next((k for k in call.keywords if k.arg == kw.arg), None)
    if own is None:
        call.keywords.append(kw)
    elif recurse:
        for sub in kw.value.keywords:
            merge_into(own.value, sub, recurse=False)
    else:
        own.value = kw.value


def train_and_predict(cfg: Config, num_keypoints: int) -> None:
    """One loss with a backward pass on a drawn target, then a flip-test
    prediction, through the config's own ``GenerateTarget``."""
    register_all_modules()
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    w, h = cfg.codec.input_size
    rng = np.random.default_rng(0)
    results = dict(
        img=rng.integers(0, 255, (h, w, 3), dtype=np.uint8),
        keypoints=rng.uniform(8, min(w, h) - 8, (1, num_keypoints, 2)).astype(np.float32),
        keypoints_visible=np.ones((1, num_keypoints), np.float32),
        bbox=np.array([[0, 0, w, h]], np.float32),
        bbox_score=np.ones(1, np.float32),
        input_size=(w, h),
        input_center=np.array([[w / 2, h / 2]], np.float32),
        input_scale=np.array([[w, h]], np.float32),
        flip_indices=list(range(num_keypoints)),
        img_shape=(h, w),
        ori_shape=(h, w),
    )
    pack = Compose([dict(type='GenerateTarget', encoder=cfg.codec), dict(type='PackPoseInputs')])(
        results
    )
    data = model.data_preprocessor(
        dict(inputs=[pack['inputs']], data_samples=[pack['data_samples']]), training=True
    )
    losses = model(**data, mode='loss')
    loss = sum(v for k, v in losses.items() if k.startswith('loss'))
    assert torch.isfinite(loss)
    loss.backward()
    model.eval()
    with torch.no_grad():
        data = model.data_preprocessor(
            dict(inputs=[pack['inputs']], data_samples=[pack['data_samples']])
        )
        (pred,) = model(**data, mode='predict')
    assert pred.pred_instances.keypoints.shape == (1, num_keypoints, 2)
    assert np.isfinite(pred.pred_instances.keypoints).all()


@pytest.mark.parametrize(
    'heading, config, codec, edit_head, num_keypoints',
    [
        (
            '## Use the codec',
            'body_2d_keypoint/topdown_heatmap/coco/td-hm_hrnet-w32_8xb64-210e_coco-256x192.py',
            'RandomizedRoundingHeatmap',
            False,
            17,
        ),
        (
            '**In RTMPose.**',
            'face_2d_keypoint/rtmpose/wflw/rtmpose-m_8xb64-60e_wflw-256x256.py',
            'RandomizedRoundingSimCC',
            True,
            98,
        ),
    ],
)
def test_readme_snippet_edits_mmposes_own_config(
    heading, config, codec, edit_head, num_keypoints, tmp_path
):
    cfg = edited(MMPOSE_CONFIGS / config, snippet(heading), tmp_path, edit_head)
    assert 'rr_mmpose' in cfg.custom_imports.imports
    assert cfg.model.head.decoder.type == codec
    found = encoders(cfg.to_dict())
    assert found and {e['type'] for e in found} == {codec}
    if codec == 'RandomizedRoundingSimCC':
        assert_trains_what_it_decodes(cfg)
    train_and_predict(cfg, num_keypoints)
