# Randomized rounding as a drop-in for MMPose's COCO-WholeBody-Face config
# (td-hm_hrnetv2-w18_8xb32-60e_coco-wholebody-face-256x256): HRNetV2-W18,
# 256x256 input, 64x64 heatmaps, 68 face points. MMPose's config is written
# out here unchanged (schedule, model, augmentation, data, NME metric) except
# the codec, the head and its test_cfg.
#
# Loss: the spatial softmax cross-entropy over one logit map per keypoint
# (SpatialSoftmaxCELoss, K channels as MMPose's HeatmapHead): a new model,
# with no H3R checkpoint whose two-class layout it would have to match.
_base_ = ['mmpose::_base_/default_runtime.py']

custom_imports = dict(imports=['rr_mmpose'], allow_failed_imports=False)

# runtime
train_cfg = dict(max_epochs=60, val_interval=1)

# optimizer
optim_wrapper = dict(optimizer=dict(type='Adam', lr=2e-3))

# learning policy (as MMPose's: the step schedule ends at 210, after training)
param_scheduler = [
    dict(type='LinearLR', begin=0, end=500, start_factor=0.001, by_epoch=False),  # warm-up
    dict(type='MultiStepLR', begin=0, end=210, milestones=[40, 55], gamma=0.1, by_epoch=True),
]

# automatically scaling LR based on the actual training batch size
auto_scale_lr = dict(base_batch_size=256)

# hooks
default_hooks = dict(checkpoint=dict(save_best='NME', rule='less', interval=1))

# codec settings
codec = dict(type='RandomizedRoundingHeatmap', input_size=(256, 256), heatmap_size=(64, 64), topk=9)

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
        type='HRNet',
        in_channels=3,
        extra=dict(
            stage1=dict(
                num_modules=1,
                num_branches=1,
                block='BOTTLENECK',
                num_blocks=(4,),
                num_channels=(64,),
            ),
            stage2=dict(
                num_modules=1,
                num_branches=2,
                block='BASIC',
                num_blocks=(4, 4),
                num_channels=(18, 36),
            ),
            stage3=dict(
                num_modules=4,
                num_branches=3,
                block='BASIC',
                num_blocks=(4, 4, 4),
                num_channels=(18, 36, 72),
            ),
            stage4=dict(
                num_modules=3,
                num_branches=4,
                block='BASIC',
                num_blocks=(4, 4, 4, 4),
                num_channels=(18, 36, 72, 144),
                multiscale_output=True,
            ),
            upsample=dict(mode='bilinear', align_corners=False),
        ),
        init_cfg=dict(type='Pretrained', checkpoint='open-mmlab://msra/hrnetv2_w18'),
    ),
    # the four branches resized to 1/4 and concatenated: 18+36+72+144 = 270
    neck=dict(type='FeatureMapProcessor', concat=True),
    head=dict(
        type='RandomizedRoundingHead',
        in_channels=270,
        out_channels=68,
        loss=dict(type='SpatialSoftmaxCELoss', use_target_weight=True),
        decoder=codec,
    ),
    # the head flips coordinates, not heatmaps
    test_cfg=dict(flip_test=True),
)

# base dataset settings
dataset_type = 'CocoWholeBodyFaceDataset'
data_mode = 'topdown'
data_root = 'data/coco/'

# pipelines
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform', rotate_factor=60, scale_factor=(0.75, 1.25)),
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
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_mode=data_mode,
        ann_file='annotations/coco_wholebody_train_v1.0.json',
        data_prefix=dict(img='train2017/'),
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
        ann_file='annotations/coco_wholebody_val_v1.0.json',
        data_prefix=dict(img='val2017/'),
        test_mode=True,
        pipeline=val_pipeline,
    ),
)
test_dataloader = val_dataloader

# evaluators
val_evaluator = dict(type='NME', norm_mode='keypoint_distance')
test_evaluator = val_evaluator
