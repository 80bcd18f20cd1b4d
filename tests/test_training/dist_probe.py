"""A hook for the distributed tests: each rank writes what it saw and ends
with (loaded through ``custom_imports`` by the test's config)."""

import hashlib
import json
from pathlib import Path

import numpy as np
import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmpose.registry import HOOKS


@HOOKS.register_module()
class RankProbeHook(Hook):
    """Per rank: the losses, the rounding decisions of the targets (was each
    visible keypoint rounded up on x / y?) and a digest of the parameters."""

    def __init__(self, out_dir: str, stride: int) -> None:
        self.out_dir = Path(out_dir)
        self.stride = stride
        self.losses, self.round_ups = [], []

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self.losses.append(float(outputs['loss']))
        for sample in data_batch['data_samples']:
            heatmaps = sample.gt_fields.heatmaps.numpy()
            k, h, w = heatmaps.shape
            flat = heatmaps.reshape(k, -1)
            cells = np.stack([flat.argmax(1) % w, flat.argmax(1) // w], 1)
            points = sample.gt_instances.transformed_keypoints[0] / self.stride
            active = flat.max(1) > 0
            up = cells[active] - np.floor(points[active])
            self.round_ups.extend(up.astype(int).ravel().tolist())

    def after_train(self, runner) -> None:
        digest = hashlib.sha256()
        # Parameters only: with MMEngine's default broadcast_buffers=False each
        # rank keeps its own BN running statistics (SyncBN would share them).
        for value in runner.model.parameters():
            digest.update(value.detach().cpu().contiguous().numpy().tobytes())
        self.out_dir.mkdir(parents=True, exist_ok=True)
        record = dict(
            rank=get_rank(),
            losses=self.losses,
            round_ups=self.round_ups,
            weights=digest.hexdigest(),
            world_size=torch.distributed.get_world_size(),
        )
        (self.out_dir / f'rank{get_rank()}.json').write_text(json.dumps(record))
