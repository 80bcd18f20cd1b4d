# Randomized rounding as a drop-in for MMPose's COCO-WholeBody-Face config:
# HRNetV2-W18, 256x256, 64x64 heatmaps, 68 face points. Everything but the
# codec, the head and the target in the train pipeline is MMPose's.
_base_ = [
    'mmpose::face_2d_keypoint/topdown_heatmap/coco_wholebody_face/'
    'td-hm_hrnetv2-w18_8xb32-60e_coco-wholebody-face-256x256.py'
]

custom_imports = dict(imports=['rr_mmpose'], allow_failed_imports=False)

codec = dict(type='RandomizedRoundingHeatmap', input_size=(256, 256), heatmap_size=(64, 64), topk=9)

model = dict(
    head=dict(
        _delete_=True,
        type='RandomizedRoundingHead',
        in_channels=270,
        out_channels=68,
        loss=dict(type='SpatialSoftmaxCELoss', use_target_weight=True),
        decoder=codec,
    ),
    test_cfg=dict(_delete_=True, flip_test=True),
)

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform', rotate_factor=60, scale_factor=(0.75, 1.25)),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

# See the face configs: keeps the top-level `codec` free of MSRAHeatmap keys.
codec = dict(_delete_=True, **codec)
