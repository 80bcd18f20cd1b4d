"""Randomized rounding's keypoint scores are probabilities: MMPose's own
``MMPoseInferencer`` thresholds and draws them with ``kpt_thr`` as it is."""

import numpy as np
import torch
from mmengine.config import Config
from mmpose.apis import MMPoseInferencer
from mmpose.registry import MODELS

from rr_mmpose.apis import FixedFaceBoxes, use_face_boxes
from rr_mmpose.datasets import render_face, tight_box

from ..helpers import DEMO_CONFIG


def test_kpt_thr_and_the_visualizer_work_with_the_scores(tmp_path):
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(str(DEMO_CONFIG)).model)
    with torch.no_grad():  # peaked maps, so that scores spread over [0, 1]
        model.head.layers[-1].weight.mul_(300)
    checkpoint = tmp_path / 'random.pth'
    torch.save(dict(state_dict=model.state_dict()), checkpoint)
    image, landmarks = render_face(np.random.default_rng(2), 160)
    inferencer = MMPoseInferencer(
        pose2d=str(DEMO_CONFIG), pose2d_weights=str(checkpoint), det_model='whole_image'
    )
    use_face_boxes(inferencer, FixedFaceBoxes(tight_box(landmarks)[None]))

    # MMPose hides a landmark whose score is below kpt_thr, and a score may
    # reach exactly 1.0 in float32 (a peaked map's top-9 mass).
    above_every_score = 1.01
    drawn = {}
    for threshold in (0.0, above_every_score):
        result = next(inferencer(image.copy(), kpt_thr=threshold, return_vis=True))
        (face,) = result['predictions'][0]
        scores = np.array(face['keypoint_scores'])
        assert scores.shape == (68,) and (scores >= 0).all() and (scores <= 1).all()
        drawn[threshold] = result['visualization'][0]
    # kpt_thr above every score hides every landmark: the image as it was
    # (the visualisation is RGB); kpt_thr=0 draws them.
    np.testing.assert_array_equal(drawn[above_every_score], image[..., ::-1])
    assert np.abs(drawn[0.0].astype(int) - drawn[above_every_score].astype(int)).sum() > 0
    assert 0 < np.median(scores) < 1
