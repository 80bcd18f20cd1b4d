# H3R HRNet-W18 on 300W (68 points), P2 boxes, 256x256.
# Paper NME: 3.62 % (inter-ocular, points 36-45).
# Model, codec and recipe as the WFLW config (MMPose's face recipe; H3R's
# training code was never released); only the data settings differ.
_base_ = ['../wflw/td-hm_hrnetv2-w18_rr-8xb64-60e_wflw-p2-256x256.py']

model = dict(head=dict(out_channels=68))

# Converted by tools/dataset_converters/300w2coco.py.
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
