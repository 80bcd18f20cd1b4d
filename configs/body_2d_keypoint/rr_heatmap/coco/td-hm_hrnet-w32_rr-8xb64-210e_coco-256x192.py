# Randomized rounding as a drop-in for MMPose's COCO body config: HRNet-W32,
# 256x192 input, 64x48 heatmaps. Everything but the codec, the head and the
# target in the train pipeline is MMPose's config, inherited unchanged.
_base_ = [
    'mmpose::body_2d_keypoint/topdown_heatmap/coco/td-hm_hrnet-w32_8xb64-210e_coco-256x192.py'
]

custom_imports = dict(imports=['rr_mmpose'], allow_failed_imports=False)

codec = dict(type='RandomizedRoundingHeatmap', input_size=(192, 256), heatmap_size=(48, 64), topk=9)

model = dict(
    head=dict(
        _delete_=True,
        type='RandomizedRoundingHead',
        in_channels=32,
        out_channels=17,
        loss=dict(type='SpatialSoftmaxCELoss', use_target_weight=True),
        decoder=codec,
    ),
    test_cfg=dict(_delete_=True, flip_test=True),
)

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomHalfBody'),
    dict(type='RandomBBoxTransform'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

# See the face configs: keeps the top-level `codec` free of MSRAHeatmap keys.
codec = dict(_delete_=True, **codec)
