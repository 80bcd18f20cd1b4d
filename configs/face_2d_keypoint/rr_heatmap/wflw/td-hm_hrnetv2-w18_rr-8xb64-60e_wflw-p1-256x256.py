# H3R HRNet-W18 on WFLW, P1 boxes (tight box of the ground-truth landmarks),
# 256x256. Paper NME: 3.81 %. Recipe: see the P2 config.
_base_ = ['./td-hm_hrnetv2-w18_rr-8xb64-60e_wflw-p2-256x256.py']

train_dataloader = dict(dataset=dict(ann_file='annotations/p1/face_landmarks_wflw_train.json'))
val_dataloader = dict(dataset=dict(ann_file='annotations/p1/face_landmarks_wflw_test.json'))
test_dataloader = val_dataloader
