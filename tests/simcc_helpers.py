"""What the RandomizedRoundingSimCC tests share: a small codec, RTMCCHead
and KLDiscretLoss set-up, ideal logits and flip pairs."""

import numpy as np
import torch
from mmpose.registry import KEYPOINT_CODECS, MODELS
from mmpose.structures import PoseDataSample
from mmpose.structures.keypoint import flip_keypoints
from torch import nn

from rr_mmpose.codecs import RandomizedRoundingSimCC

from .helpers import encoders

SIZE = 128  # square input, w = h
BETA = 10.0
LOSS = dict(type='KLDiscretLoss', use_target_weight=True, beta=BETA, label_softmax=False)


def make_codec(**kwargs) -> RandomizedRoundingSimCC:
    cfg = dict(type='RandomizedRoundingSimCC', input_size=(SIZE, SIZE), beta=BETA)
    cfg.update(kwargs)
    return KEYPOINT_CODECS.build(cfg)


def bin_position(keypoints: np.ndarray, split: float) -> np.ndarray:
    return (keypoints + 0.5) * split - 0.5


def ideal_logits(keypoints: np.ndarray, split: float) -> tuple[torch.Tensor, torch.Tensor]:
    """The loss optimum: ``log q / beta`` of the expected two-hot targets."""
    encoded = make_codec(simcc_split_ratio=split, target_mode='expected').encode(keypoints)
    return tuple(
        torch.from_numpy(np.log(np.maximum(encoded[key], 1e-30)) / BETA).float()
        for key in ('keypoint_x_labels', 'keypoint_y_labels')
    )


def flip_pairs(rng, num_keypoints: int) -> list[int]:
    """A random involution: disjoint swapped pairs, the rest fixed."""
    order = rng.permutation(num_keypoints)
    flip_indices = np.arange(num_keypoints)
    pairs = order[: 2 * (num_keypoints // 3)].reshape(-1, 2)
    flip_indices[pairs[:, 0]], flip_indices[pairs[:, 1]] = pairs[:, 1], pairs[:, 0]
    return flip_indices.tolist()


def build_head(split: float, num_keypoints: int, decoder: dict) -> nn.Module:
    return MODELS.build(
        dict(
            type='RTMCCHead',
            in_channels=8,
            out_channels=num_keypoints,
            input_size=(SIZE, SIZE),
            in_featuremap_size=(4, 4),
            simcc_split_ratio=split,
            gau_cfg=dict(
                hidden_dims=32,
                s=16,
                expansion_factor=2,
                dropout_rate=0.0,
                drop_path=0.0,
                act_fn='SiLU',
                use_rel_bias=False,
                pos_enc=False,
            ),
            loss=LOSS,
            decoder=decoder,
        )
    )


def predict_through_head(head, logits: dict, flip_indices: list[int], flip_test: bool):
    """RTMCCHead.predict on prepared logits (its forward replaced), with or
    without MMPose's flip test; returns keypoints (B, K, 2), scores (B, K)."""
    head.forward = lambda feats: logits[feats]
    samples = [PoseDataSample(metainfo=dict(flip_indices=flip_indices))]
    if flip_test:
        preds = head.predict(['plain', 'flipped'], samples, test_cfg=dict(flip_test=True))
    else:
        preds = head.predict('plain', samples, test_cfg=dict())
    for pred in preds:
        assert pred.keypoints.shape[0] == 1 and pred.keypoint_scores.shape[0] == 1
    keypoints = np.concatenate([pred.keypoints for pred in preds])
    scores = np.concatenate([pred.keypoint_scores for pred in preds])
    return keypoints, scores


def draw_points(rng) -> tuple[np.ndarray, list[int]]:
    """Random sub-bin points of 2 instances x 100 keypoints, inside the valid
    range at every split ratio also after flipping, and flip pairs."""
    return rng.uniform(1, SIZE - 2, (2, 100, 2)), flip_pairs(rng, 100)


def plain_and_flipped(keypoints, flip_indices, split: float, make_logits) -> dict:
    """The logits of the plain and of the flipped input, for RTMCCHead."""
    flipped, _ = flip_keypoints(
        keypoints.copy(), np.ones(keypoints.shape[:2]), (SIZE, SIZE), flip_indices
    )
    return dict(plain=make_logits(keypoints, split), flipped=make_logits(flipped, split))


def assert_trains_what_it_decodes(cfg) -> None:
    """``cfg``'s RTMPose head decodes with the codec every ``GenerateTarget``
    draws its targets with, and trains ``KLDiscretLoss`` against the drawn
    target (``label_softmax=False``) at that codec's ``beta``: only then is
    the decode the loss's optimum."""
    head = cfg.model.head.to_dict()
    decoder, loss = head['decoder'], head['loss']
    assert decoder['type'] == 'RandomizedRoundingSimCC'
    drawn_by = encoders(cfg.to_dict())
    assert drawn_by and all(e == decoder for e in drawn_by)
    assert loss['type'] == 'KLDiscretLoss'
    assert loss['label_softmax'] is False
    assert loss['beta'] == decoder['beta'], (loss['beta'], decoder['beta'])
