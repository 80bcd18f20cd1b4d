# H3R MobileNetV2 on WFLW, P2 boxes, 160x160 input, 40x40 heatmaps.
# Paper NME: 4.58 %. Recipe: as the 256x256 config.
_base_ = ['./td-hm_mobilenetv2_rr-8xb64-60e_wflw-p2-256x256.py']

codec = dict(type='RandomizedRoundingHeatmap', input_size=(160, 160), heatmap_size=(40, 40), topk=9)
model = dict(head=dict(decoder=codec))

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
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader
