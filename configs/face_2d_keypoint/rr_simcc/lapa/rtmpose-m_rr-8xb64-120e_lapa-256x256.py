# RTMPose-m (CSPNeXt, RTMCCHead) with randomized rounding SimCC targets
# (RandomizedRoundingSimCC) on LaPa (106 points), P2 boxes, 256x256 input, 512
# bins per axis (simcc_split_ratio 2).
#
# Recipe: MMPose's
# face_2d_keypoint/rtmpose/lapa/rtmpose-m_8xb64-120e_lapa-256x256.py (under
# MMPose's configs/).
#
# Schedule: AdamW 4e-3, 120 epochs, linear warm-up, cosine decay over the
# second half, EMA; the last 10 epochs switch to a milder pipeline.
# MMPose's file name says 8xb64 but its train loader has batch_size=32; the
# name and the loader are kept as MMPose has them.
#
# Changed lines:
#
# - codec: RandomizedRoundingSimCC instead of SimCCLabel (Gaussian labels,
#   sigma 5.66). Each coordinate's bin position is rounded to one of its two
#   neighbouring bins at random, the upper one with the probability of its
#   fractional part: an unbiased one-hot target, drawn afresh every time a
#   sample is loaded. The same `codec` is the head's decoder and
#   GenerateTarget's encoder, as in MMPose's configs.
# - loss: KLDiscretLoss(label_softmax=False) instead of label_softmax=True.
#   With a one-hot label it is the cross-entropy against the drawn target;
#   trained on random draws, its optimum is the expected two-hot target, which
#   the codec decodes exactly (flip test included). label_softmax=True would
#   train towards a softmax of the label, which puts a uniform floor over all
#   bins and biases decoding towards the vector centre. beta=10.0 is RTMPose's;
#   the loss reads it from `codec`, whose decode must weigh the bins at the
#   loss's temperature.
# - data: dataset type, data_root, annotation files, data_prefix and the NME
#   evaluators (normalised by the outer eye corners, points 66 and 79) are this
#   repository's P2 heatmap configs'
#   (configs/face_2d_keypoint/rr_heatmap/lapa/td-hm_hrnetv2-w18_rr-8xb64-60e_lapa-p2-256x256.py),
#   since our converters write those files. Validation reads lapa_val.json
#   and test lapa_test.json, as in MMPose's recipe.
#
# Kept as MMPose has them: the pretrained backbone (init_cfg, downloaded on
# first use), norm_cfg=dict(type='SyncBN') (MMEngine's Runner reverts it to
# BatchNorm when it trains in one process), the pipelines (mmdet's
# YOLOXHSVRandomAug, Albumentation, and the stage-2 pipeline that the
# PipelineSwitchHook switches to for the last 10 epochs), the EMAHook, the
# loaders' batch sizes and workers, and flip test.
#
# Albumentation's CoarseDropout keeps MMPose's arguments (max_holes=1,
# max_height=0.4, max_width=0.4, min_holes=1, min_height=0.2, min_width=0.2:
# one hole, 0.2 to 0.4 of the image side). albumentations 1.4.24 deprecates
# them (a DeprecationWarning per build) for num_holes_range=(1, 1),
# hole_height_range=(0.2, 0.4), hole_width_range=(0.2, 0.4), but rejects those
# fractions at construction: a validator added in 1.4.23 requires values >= 1
# (pixels), against its own docstring (albumentations issue 2227, fixed after
# the 1.4 line). The deprecated names reach the same fractional ranges.
#
# RandomHalfBody stays in the stage-1 pipeline as MMPose has it; LaPa's
# keypoints have no upper or lower body types, so it never changes a box.
_base_ = ['mmpose::_base_/default_runtime.py']

custom_imports = dict(imports=['rr_mmpose'], allow_failed_imports=False)

# runtime
max_epochs = 120
stage2_num_epochs = 10
base_lr = 4e-3

train_cfg = dict(max_epochs=max_epochs, val_interval=1)
randomness = dict(seed=21)

# optimizer
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=base_lr, weight_decay=0.05),
    paramwise_cfg=dict(norm_decay_mult=0, bias_decay_mult=0, bypass_duplicate=True),
)

# learning rate
param_scheduler = [
    dict(type='LinearLR', start_factor=1.0e-5, by_epoch=False, begin=0, end=1000),
    dict(
        type='CosineAnnealingLR',
        eta_min=base_lr * 0.05,
        begin=max_epochs // 2,
        end=max_epochs,
        T_max=max_epochs // 2,
        by_epoch=True,
        convert_to_iter_based=True,
    ),
]

# automatically scaling LR based on the actual training batch size
auto_scale_lr = dict(base_batch_size=512)

# codec settings: randomized rounding one-hot SimCC targets
codec = dict(
    type='RandomizedRoundingSimCC', input_size=(256, 256), simcc_split_ratio=2.0, beta=10.0
)

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
        _scope_='mmdet',
        type='CSPNeXt',
        arch='P5',
        expand_ratio=0.5,
        deepen_factor=0.67,
        widen_factor=0.75,
        out_indices=(4,),
        channel_attention=True,
        norm_cfg=dict(type='SyncBN'),
        act_cfg=dict(type='SiLU'),
        init_cfg=dict(
            type='Pretrained',
            prefix='backbone.',
            checkpoint='https://download.openmmlab.com/mmpose/v1/projects/'
            'rtmposev1/cspnext-m_udp-aic-coco_210e-256x192-f2f7d6f6_20230130.pth',
        ),
    ),
    head=dict(
        type='RTMCCHead',
        in_channels=768,
        out_channels=106,
        input_size=codec['input_size'],
        in_featuremap_size=tuple([s // 32 for s in codec['input_size']]),
        simcc_split_ratio=codec['simcc_split_ratio'],
        final_layer_kernel_size=7,
        gau_cfg=dict(
            hidden_dims=256,
            s=128,
            expansion_factor=2,
            dropout_rate=0.0,
            drop_path=0.0,
            act_fn='SiLU',
            use_rel_bias=False,
            pos_enc=False,
        ),
        loss=dict(
            type='KLDiscretLoss', use_target_weight=True, beta=codec['beta'], label_softmax=False
        ),
        decoder=codec,
    ),
    test_cfg=dict(flip_test=True),
)

# base dataset settings (python -m rr_mmpose.datasets.converters.lapa, P2 boxes)
dataset_type = 'LapaDataset'
data_mode = 'topdown'
data_root = 'data/lapa/'

backend_args = dict(backend='local')

# pipelines
train_pipeline = [
    dict(type='LoadImage', backend_args=backend_args),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomHalfBody'),
    dict(type='RandomBBoxTransform', scale_factor=[0.5, 1.5], rotate_factor=80),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='mmdet.YOLOXHSVRandomAug'),
    dict(type='PhotometricDistortion'),
    dict(
        type='Albumentation',
        transforms=[
            dict(type='Blur', p=0.2),
            dict(type='MedianBlur', p=0.2),
            dict(
                type='CoarseDropout',
                max_holes=1,
                max_height=0.4,
                max_width=0.4,
                min_holes=1,
                min_height=0.2,
                min_width=0.2,
                p=1.0,
            ),
        ],
    ),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs'),
]
val_pipeline = [
    dict(type='LoadImage', backend_args=backend_args),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseInputs'),
]
train_pipeline_stage2 = [
    dict(type='LoadImage', backend_args=backend_args),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform', shift_factor=0.0, scale_factor=[0.75, 1.25], rotate_factor=60),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='mmdet.YOLOXHSVRandomAug'),
    dict(
        type='Albumentation',
        transforms=[
            dict(type='Blur', p=0.1),
            dict(type='MedianBlur', p=0.1),
            dict(
                type='CoarseDropout',
                max_holes=1,
                max_height=0.4,
                max_width=0.4,
                min_holes=1,
                min_height=0.2,
                min_width=0.2,
                p=0.5,
            ),
        ],
    ),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs'),
]

# data loaders
train_dataloader = dict(
    batch_size=32,
    num_workers=10,
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
    num_workers=10,
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

# hooks
default_hooks = dict(checkpoint=dict(save_best='NME', rule='less', max_keep_ckpts=1, interval=1))

custom_hooks = [
    dict(
        type='EMAHook', ema_type='ExpMomentumEMA', momentum=0.0002, update_buffers=True, priority=49
    ),
    dict(
        type='mmdet.PipelineSwitchHook',
        switch_epoch=max_epochs - stage2_num_epochs,
        switch_pipeline=train_pipeline_stage2,
    ),
]

# evaluators: NME normalised by the outer eye corners, as this repository's P2 configs
val_evaluator = [
    dict(type='NME', norm_mode='keypoint_distance', keypoint_indices=[66, 79]),
    # NME per face, failure rate, AUC, percentiles, per-subset NME and score calibration
    dict(type='FaceLandmarkMetric', norm_mode='keypoint_distance', keypoint_indices=[66, 79]),
]
test_evaluator = val_evaluator
