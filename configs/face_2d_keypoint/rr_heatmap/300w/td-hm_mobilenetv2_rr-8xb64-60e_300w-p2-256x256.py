# H3R MobileNetV2 on 300W, P2 boxes, 256x256. Paper NME: 3.96 %.
# Backbone as the WFLW MobileNetV2 config (cut after the 96-channel stage,
# 152 fused channels); data settings as the 300W HRNet config.
_base_ = ['./td-hm_hrnetv2-w18_rr-8xb64-60e_300w-p2-256x256.py']

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
