"""Run a face config on the generated faces, on a CPU: the one place that
rewires a config's data loaders for the tests and the studies."""

from __future__ import annotations

from pathlib import Path

from mmengine.config import Config

# The demo config: the 300W MobileNetV2 128x128 paper model on the
# generated faces (see its header).
GENERATED_FACES_CONFIG = (
    'face_2d_keypoint/rr_heatmap/generated_faces/'
    'td-hm_mobilenetv2_rr-1xb32-8e_generated-faces-128x128.py'
)
SPLIT_FILES = {
    'train_dataloader': 'annotations/face_landmarks_300w_train.json',
    'val_dataloader': 'annotations/face_landmarks_300w_test.json',
}


def on_generated_faces(
    cfg: Config,
    data_root: str | Path,
    *,
    batch_size: int,
    num_workers: int = 0,
    num_train: int | None = None,
    num_test: int | None = None,
    work_dir: str | Path | None = None,
    checkpoints: bool = False,
    log_interval: int = 50,
    dataset_type: str = 'Face300WDataset',
) -> Config:
    """Point ``cfg``'s loaders at a dataset written by
    :func:`rr_mmpose.datasets.generate_dataset` (300W layout, 68 points)
    and keep the run local: no checkpoint unless ``checkpoints``, a local
    visualizer backend, no pretrained download. Modifies and returns ``cfg``.

    Args:
        cfg: A face config with 68 keypoints (any 300W one, or the demo's)
        data_root: The generated dataset
        batch_size: Of the train and validation loaders
        num_workers: Loader processes (0: in the main process)
        num_train, num_test: Use the first faces of each split only
        work_dir: Where MMEngine writes logs (and checkpoints)
        checkpoints: Keep the config's checkpoint hook (else none is saved)
        log_interval: Iterations between log lines
        dataset_type: The loaders' dataset: a 300W-layout one
            (``FlaggedFace300WDataset`` keeps the hard cases' occlusion flags)
    """
    if work_dir is not None:
        cfg.work_dir = str(work_dir)
    cfg.model.backbone.init_cfg = None  # no pretrained weights to download
    if not checkpoints:
        cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=-1, save_last=False)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=log_interval)
    cfg.visualizer.vis_backends = [dict(type='LocalVisBackend')]
    for name, ann_file, indices in (
        ('train_dataloader', SPLIT_FILES['train_dataloader'], num_train),
        ('val_dataloader', SPLIT_FILES['val_dataloader'], num_test),
    ):
        loader = cfg[name]
        loader.batch_size = batch_size
        loader.num_workers = num_workers
        loader.persistent_workers = num_workers > 0
        loader.dataset.update(
            type=dataset_type,
            data_root=str(data_root),
            ann_file=ann_file,
            data_prefix=dict(img='images/'),
        )
        loader.dataset.pop('bbox_file', None)
        if indices is not None:
            loader.dataset.indices = indices
    cfg.test_dataloader = cfg.val_dataloader
    return cfg
