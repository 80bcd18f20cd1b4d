# H3R HRNet-W18 on 300W, P1 boxes (tight box of the ground-truth
# landmarks), 256x256. Paper NME: 3.48 %. Recipe: see the P2 config.
_base_ = ['./td-hm_hrnetv2-w18_rr-8xb64-60e_300w-p2-256x256.py']

train_dataloader = dict(dataset=dict(ann_file='annotations/p1/face_landmarks_300w_train.json'))
val_dataloader = dict(dataset=dict(ann_file='annotations/p1/face_landmarks_300w_test_full.json'))
test_dataloader = val_dataloader
