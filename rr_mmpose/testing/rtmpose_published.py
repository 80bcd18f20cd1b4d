"""RTMPose's complexity as MMPose publishes it, to check our RTMPose configs
(``configs/*/rr_simcc``) against.

MMPose publishes FLOPs for its face RTMPose models in one table, on the face6
page of its repository, ``configs/face_2d_keypoint/rtmpose/face6/rtmpose_face6.md``
(the same table is in ``projects/rtmpose/README.md``): RTMPose-t, -s and -m,
256x256 input, 106 keypoints (face6 trains on LaPa's layout), column
``FLOPS (G)``. The WFLW page, ``configs/face_2d_keypoint/rtmpose/wflw/rtmpose_wflw.md``,
lists NME and checkpoints only, no FLOPs: the RTMPose-m figure is face6's
(106 keypoints), and a 98-point WFLW RTMPose-m counts a little less. Neither
page ships with the mmpose package (its ``.mim`` holds the configs and the
``*.yml`` metafiles, which carry no FLOPs).

Values are GFLOPs as MMPose counts them (``tools/analysis_tools/get_flops.py``:
mmengine's counter, multiply-accumulates, batch 1, no decoding), which
:func:`rr_mmpose.utils.model_complexity` reproduces.
"""

from __future__ import annotations

from typing import NamedTuple

FACE6_PAGE = 'configs/face_2d_keypoint/rtmpose/face6/rtmpose_face6.md'


class PublishedComplexity(NamedTuple):
    """A published figure and the page of MMPose's repository that has it."""

    gflops: float
    source: str


#: MMPose config (relative to MMPose's ``configs/``) -> (GFLOPs, source page).
RTMPOSE_PUBLISHED: dict[str, PublishedComplexity] = {
    'face_2d_keypoint/rtmpose/face6/rtmpose-t_8xb256-120e_face6-256x256.py': PublishedComplexity(
        0.652, FACE6_PAGE
    ),
    'face_2d_keypoint/rtmpose/face6/rtmpose-m_8xb256-120e_face6-256x256.py': PublishedComplexity(
        2.852, FACE6_PAGE
    ),
}

# Our configs and the MMPose model whose published figure each compares
# with. LaPa has face6's 106 keypoints, so the LaPa configs compare like
# for like; MMPose publishes no FLOPs for its 98-point WFLW RTMPose-m, so
# ours (8 keypoints fewer, a slightly smaller head) sits a little below.
_FACE6 = 'face_2d_keypoint/rtmpose/face6/rtmpose-{}_8xb256-120e_face6-256x256.py'
COMPARABLE: dict[str, str] = {
    'face_2d_keypoint/rr_simcc/lapa/rtmpose-t_rr-8xb64-120e_lapa-256x256.py': _FACE6.format('t'),
    'face_2d_keypoint/rr_simcc/lapa/rtmpose-m_rr-8xb64-120e_lapa-256x256.py': _FACE6.format('m'),
    'face_2d_keypoint/rr_simcc/wflw/rtmpose-m_rr-8xb64-60e_wflw-256x256.py': _FACE6.format('m'),
}
