# H3R (randomized rounding) MobileNetV2 trained on 300W-LP (68 3D-fitted
# points, `pts_3d`), tested on AFLW2000-3D; P2 boxes (the landmark box, as
# H3R's test scripts build them), 128x128 input, 32x32 heatmaps.
# Paper (H3R's models/README.md): NME on AFLW2000-3D, normalised by sqrt(w * h)
# of the ground-truth landmark box, params and FLOPs: in metafile.yml beside
# this config.
# Converted H3R checkpoint: models/300wlp/pts3d/mobilenet_128x128_p2.
#
# MobileNetV2 is cut after its 96-channel stage; the 1/4, 1/8 and 1/16
# features (24 + 32 + 96 = 152 channels) are resized to 1/4 and fused.
# H3R's training code was never released: schedule and augmentation are
# MMPose's HRNetV2 face recipe (Adam 2e-3, 60 epochs, warm-up, flip /
# rotation 60 / scale 0.75-1.25, ImageNet-pretrained backbone).
#
# Head: H3R's released two-class head (2K logit maps), so parameters, FLOPs
# and converted checkpoints match H3R's. Loss: the spatial softmax over the
# keypoint-class maps (TwoClassSpatialSoftmaxCELoss), which learns where the
# per-pixel two-class loss did no better than the mean face in the test
# suite's learning test (tests/test_training/test_paper_config_learns.py);
# its optimum decodes exactly with the loss's log-probabilities and with
# H3R's raw-logit decoder alike.
_base_ = ['mmpose::_base_/default_runtime.py']

custom_imports = dict(imports=['rr_mmpose'], allow_failed_imports=False)

# runtime
train_cfg = dict(max_epochs=60, val_interval=1)

# optimizer
optim_wrapper = dict(optimizer=dict(type='Adam', lr=2e-3))

# learning policy
param_scheduler = [
    dict(type='LinearLR', begin=0, end=500, start_factor=0.001, by_epoch=False),  # warm-up
    dict(type='MultiStepLR', begin=0, end=60, milestones=[40, 55], gamma=0.1, by_epoch=True),
]

# automatically scaling LR based on the actual training batch size
auto_scale_lr = dict(base_batch_size=512)

# hooks
default_hooks = dict(checkpoint=dict(save_best='NME', rule='less', interval=1))

# codec settings
codec = dict(type='RandomizedRoundingHeatmap', input_size=(128, 128), heatmap_size=(32, 32), topk=9)

# model settings
model = dict(
    type='TopdownPoseEstimator',
    data_preprocessor=dict(
        type='PoseDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
    ),
    backbone=dict(
        type='TruncatedMobileNetV2',
        widen_factor=1.0,
        out_indices=(1, 2, 4),
        init_cfg=dict(type='Pretrained', checkpoint='mmcls://mobilenet_v2'),
    ),
    # The 24-, 32- and 96-channel maps resized to 1/4 (bilinear), concatenated.
    neck=dict(type='FeatureMapProcessor', concat=True),
    head=dict(
        type='RandomizedRoundingHead',
        in_channels=152,
        out_channels=68,
        loss=dict(type='TwoClassSpatialSoftmaxCELoss', use_target_weight=True),
        decoder=codec,
    ),
    test_cfg=dict(flip_test=True),
)

# base dataset settings: tools/dataset_converters/300wlp2coco.py writes the
# annotations; link 300W_LP and AFLW2000 under data/300wlp/images/.
dataset_type = 'FaceLandmarkBoxDataset'
data_mode = 'topdown'
data_root = 'data/300wlp/'

# pipelines
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform', shift_prob=0, rotate_factor=60, scale_factor=(0.75, 1.25)),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs'),
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseInputs'),
]

# data loaders
train_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_mode=data_mode,
        ann_file='annotations/p2/face_landmarks_300wlp_train.json',
        data_prefix=dict(img='images/'),
        pipeline=train_pipeline,
    ),
)
val_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_mode=data_mode,
        # LS3D-W: annotations/p2/face_landmarks_ls3dw_test.json
        ann_file='annotations/p2/face_landmarks_aflw2000_test.json',
        data_prefix=dict(img='images/'),
        test_mode=True,
        pipeline=val_pipeline,
    ),
)
test_dataloader = val_dataloader

# evaluators: NME over sqrt(w * h) of the ground-truth landmark box, which
# the converter stores as `box_size` and FaceLandmarkBoxDataset packs.
val_evaluator = [
    dict(type='NME', norm_mode='use_norm_item', norm_item='box_size'),
    # NME per face, failure rate, AUC, percentiles, per-subset NME and score calibration
    dict(type='FaceLandmarkMetric', norm_mode='use_norm_item', norm_item='box_size'),
]
test_evaluator = val_evaluator
