# H3R (randomized rounding) HRNet-W32 on LaPa (106 points), P2 boxes,
# 256x256 input, 64x64 heatmaps. H3R released this model
# (models/lapa/hrnet32_256x256_p2, trained on JD's LaPa release: INPUT.DATASET
# 'JDL') but published no NME, params or FLOPs for it; this repository counts
# them (docs/benchmarks.md#complexity, MMPose's get_flops counting).
# NME as for LaPa: inter-ocular (outer eye corners, points 66-79).
#
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
                num_channels=(32, 64),
            ),
            stage3=dict(
                num_modules=4,
                num_branches=3,
                block='BASIC',
                num_blocks=(4, 4, 4),
                num_channels=(32, 64, 128),
            ),
            stage4=dict(
                num_modules=3,
                num_branches=4,
                block='BASIC',
                num_blocks=(4, 4, 4, 4),
                num_channels=(32, 64, 128, 256),
                multiscale_output=True,
            ),
            # H3R's HRNet (the classic HRNet code) upsamples with `nearest`
            # inside its fuse layers: converted checkpoints give its logits.
            upsample=dict(mode='nearest', align_corners=None),
        ),
        init_cfg=dict(type='Pretrained', checkpoint='open-mmlab://msra/hrnetv2_w32'),
    ),
    # The four branches resized to 1/4 (bilinear) and concatenated: 480 ch.
    neck=dict(type='FeatureMapProcessor', concat=True),
    head=dict(
        type='RandomizedRoundingHead',
        in_channels=480,
        out_channels=106,
        loss=dict(type='TwoClassSpatialSoftmaxCELoss', use_target_weight=True),
        decoder=codec,
    ),
    test_cfg=dict(flip_test=True),
)

# base dataset settings: tools/dataset_converters/lapa2coco.py writes the
# annotations; link LaPa as data/lapa/images.
dataset_type = 'LapaDataset'
data_mode = 'topdown'
data_root = 'data/lapa/'
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
        ann_file='annotations/p2/lapa_train.json',
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
        ann_file='annotations/p2/lapa_val.json',
        data_prefix=dict(img='images/'),
        test_mode=True,
        pipeline=val_pipeline,
    ),
)
# Checkpoints are chosen on LaPa's val split and reported on its test
# split, as MMPose's LaPa recipe (rtmpose/lapa) does.
test_dataloader = dict(
    val_dataloader,
    dataset=dict(val_dataloader['dataset'], ann_file='annotations/p2/lapa_test.json'),
)

# evaluators: outer eye corners, as H3R's test script
val_evaluator = [
    dict(type='NME', norm_mode='keypoint_distance', keypoint_indices=[66, 79]),
    # NME per face, failure rate, AUC, percentiles, per-subset NME and score calibration
    dict(type='FaceLandmarkMetric', norm_mode='keypoint_distance', keypoint_indices=[66, 79]),
]
test_evaluator = val_evaluator
