# H3R MobileNetV2 on WFLW, P2 boxes, 128x128 input, 32x32 heatmaps.
# Paper NME: 4.72 %. Recipe: as the 256x256 config.
_base_ = ['./td-hm_mobilenetv2_rr-8xb64-60e_wflw-p2-256x256.py']

codec = dict(type='RandomizedRoundingHeatmap', input_size=(128, 128), heatmap_size=(32, 32), topk=9)
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
