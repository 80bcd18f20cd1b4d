# H3R MobileNetV2 on 300W, P2 boxes, 128x128 input, 32x32 heatmaps.
# Paper NME: 4.17 %. Model and pipelines as the WFLW 128x128 config;
# data settings as the 300W 256x256 config.
_base_ = ['../wflw/td-hm_mobilenetv2_rr-8xb64-60e_wflw-p2-128x128.py']

model = dict(head=dict(out_channels=68))

dataset_type = 'Face300WDataset'
data_root = 'data/300w/'
train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/p2/face_landmarks_300w_train.json',
    )
)
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/p2/face_landmarks_300w_test_full.json',
    )
)
test_dataloader = val_dataloader

val_evaluator = dict(keypoint_indices=[36, 45])
test_evaluator = val_evaluator
