# H3R MobileNetV2 on LaPa, P2 boxes, 128x128 input, 32x32 heatmaps.
# Paper NME: 2.08 %. Model and pipelines as the WFLW 128x128 config;
# data settings as the LaPa 256x256 config.
_base_ = ['../wflw/td-hm_mobilenetv2_rr-8xb64-60e_wflw-p2-128x128.py']

model = dict(head=dict(out_channels=106))

dataset_type = 'LapaDataset'
data_root = 'data/lapa/'
train_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, ann_file='annotations/p2/lapa_train.json')
)
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, ann_file='annotations/p2/lapa_test.json')
)
test_dataloader = val_dataloader

val_evaluator = dict(keypoint_indices=[66, 79])
test_evaluator = val_evaluator
