# H3R HRNet-W18 on LaPa (106 points), P2 boxes, 256x256.
# Paper NME: 1.40 % (inter-ocular, points 66-79).
# Model, codec and recipe as the WFLW config (MMPose's face recipe; H3R's
# training code was never released); only the data settings differ.
_base_ = ['../wflw/td-hm_hrnetv2-w18_rr-8xb64-60e_wflw-p2-256x256.py']

model = dict(head=dict(out_channels=106))

# Converted by tools/dataset_converters/lapa2coco.py.
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
