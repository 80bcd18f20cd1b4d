# H3R MobileNetV2 on WFLW, P2 boxes, 256x256. Paper NME: 4.45 %.
# MobileNetV2 is cut after its 96-channel stage; the 1/4, 1/8 and 1/16
# features (24 + 32 + 96 = 152 channels) are resized to 1/4 and fused.
# Recipe: MMPose's face recipe, as the HRNet config.
_base_ = ['./td-hm_hrnetv2-w18_rr-8xb64-60e_wflw-p2-256x256.py']

model = dict(
    backbone=dict(
        _delete_=True,
        type='TruncatedMobileNetV2',
        widen_factor=1.0,
        out_indices=(1, 2, 4),
        init_cfg=dict(type='Pretrained', checkpoint='mmcls://mobilenet_v2'),
    ),
    head=dict(in_channels=152),
)
