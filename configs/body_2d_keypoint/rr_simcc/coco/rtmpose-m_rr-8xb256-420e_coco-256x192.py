# RTMPose-m (CSPNeXt, RTMCCHead) with randomized rounding SimCC targets
# (RandomizedRoundingSimCC) on COCO (17 body keypoints), 192x256 input (w x h),
# 384 x 512 bins (simcc_split_ratio 2).
#
# Recipe: MMPose's
# body_2d_keypoint/rtmpose/coco/rtmpose-m_8xb256-420e_coco-256x192.py (under
# MMPose's configs/).
#
# Schedule: AdamW 4e-3, 420 epochs, linear warm-up, cosine decay from epoch
# 210, EMA; the last 30 epochs switch to a milder pipeline.
#
# Changed lines:
#
# - codec: RandomizedRoundingSimCC instead of SimCCLabel (Gaussian labels,
#   sigma (4.9, 5.66)). Each coordinate's bin position is rounded to one of its
#   two neighbouring bins at random, the upper one with the probability of its
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
#
# Kept as MMPose has them: the data sections (COCO train2017 / val2017,
# CocoMetric), the pretrained backbone (init_cfg, downloaded on first use),
# norm_cfg=dict(type='SyncBN') (MMEngine's Runner reverts it to BatchNorm when
# it trains in one process), the pipelines (mmdet's YOLOXHSVRandomAug,
# Albumentation, and the stage-2 pipeline that the PipelineSwitchHook switches
# to for the last 30 epochs), the EMAHook, the loaders' batch sizes and
# workers, and flip test.
#
# Albumentation's CoarseDropout keeps MMPose's arguments (max_holes=1,
# max_height=0.4, max_width=0.4, min_holes=1, min_height=0.2, min_width=0.2:
# one hole, 0.2 to 0.4 of the image side). albumentations 1.4.24 deprecates
# them (a DeprecationWarning per build) for num_holes_range=(1, 1),
# hole_height_range=(0.2, 0.4), hole_width_range=(0.2, 0.4), but rejects those
# fractions at construction: a validator added in 1.4.23 requires values >= 1
# (pixels), against its own docstring (albumentations issue 2227, fixed after
# the 1.4 line). The deprecated names reach the same fractional ranges.
_base_ = ['mmpose::_base_/default_runtime.py']

custom_imports = dict(imports=['rr_mmpose'], allow_failed_imports=False)

# runtime
max_epochs = 420
stage2_num_epochs = 30
base_lr = 4e-3

train_cfg = dict(max_epochs=max_epochs, val_interval=10)
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
auto_scale_lr = dict(base_batch_size=1024)

# codec settings: randomized rounding one-hot SimCC targets
codec = dict(
    type='RandomizedRoundingSimCC', input_size=(192, 256), simcc_split_ratio=2.0, beta=10.0
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
        out_channels=17,
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

# base dataset settings
dataset_type = 'CocoDataset'
data_mode = 'topdown'
data_root = 'data/coco/'

backend_args = dict(backend='local')

# pipelines
train_pipeline = [
    dict(type='LoadImage', backend_args=backend_args),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomHalfBody'),
    dict(type='RandomBBoxTransform', scale_factor=[0.6, 1.4], rotate_factor=80),
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
    dict(type='RandomHalfBody'),
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
    batch_size=256,
    num_workers=10,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_mode=data_mode,
        ann_file='annotations/person_keypoints_train2017.json',
        data_prefix=dict(img='train2017/'),
        pipeline=train_pipeline,
    ),
)
val_dataloader = dict(
    batch_size=64,
    num_workers=10,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_mode=data_mode,
        ann_file='annotations/person_keypoints_val2017.json',
        # bbox_file=f'{data_root}person_detection_results/'
        # 'COCO_val2017_detections_AP_H_56_person.json',
        data_prefix=dict(img='val2017/'),
        test_mode=True,
        pipeline=val_pipeline,
    ),
)
test_dataloader = val_dataloader

# hooks
default_hooks = dict(checkpoint=dict(save_best='coco/AP', rule='greater', max_keep_ckpts=1))

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

# evaluators
val_evaluator = dict(
    type='CocoMetric', ann_file=data_root + 'annotations/person_keypoints_val2017.json'
)
test_evaluator = val_evaluator
