"""H3R's decoding head: 1x1 conv -> BN -> ReLU -> 1x1 conv."""

import torch
from mmengine.structures import PixelData
from mmpose.evaluation.functional import pose_pck_accuracy
from mmpose.models.heads.base_head import BaseHead
from mmpose.registry import KEYPOINT_CODECS, MODELS
from mmpose.structures.keypoint import flip_keypoints
from mmpose.utils.tensor_utils import to_numpy
from mmpose.utils.typing import ConfigType, OptConfigType, OptSampleList, Predictions
from torch import Tensor, nn

from ..losses import RandomizedRoundingLoss

DECODE_SCORES = ('log_prob', 'logits')


@MODELS.register_module()
class RandomizedRoundingHead(BaseHead):
    """Top-down head of `Heatmap Regression via Randomized Rounding`_.

    On a fused multi-scale feature map (e.g. HRNet's four branches resized
    to 1/4 and concatenated by :class:`FeatureMapProcessor`), a 1x1 conv,
    BN, ReLU and a 1x1 conv emit ``logits_per_keypoint`` logit maps per
    keypoint (1 for :class:`SpatialSoftmaxCELoss`, 2 for
    :class:`PixelwiseTwoClassCELoss` and
    :class:`TwoClassSpatialSoftmaxCELoss`). For decoding, the loss turns them
    into per-cell log-probabilities, which the
    :class:`RandomizedRoundingHeatmap` codec decodes without bias.

    Flip test is done on coordinates, not heatmaps: the flipped pass is
    decoded, mirrored with ``x -> w - 1 - x`` in input space and averaged
    with the plain pass. That is exact, where shifting heatmaps by one cell
    is off by ``(stride - 1) / stride`` cells.

    Args:
        in_channels (int): Channels of the fused input feature map
        out_channels (int): Number of keypoints K
        hidden_channels (int, optional): Width of the 1x1 conv + BN block.
            Defaults to ``in_channels`` as in H3R
        loss (Config): Loss config; its ``logits_per_keypoint`` and
            ``log_probs`` define the output layout and decoding
        decoder (Config, optional): A :class:`RandomizedRoundingHeatmap`
            config
        decode_scores (str): ``'log_prob'`` (default, consistent with the
            loss) or ``'logits'``: raw (keypoint-class) logits, which is
            H3R's literal decoder, kept for parity with released models
        init_cfg (Config, optional): Initialisation config

    .. _`Heatmap Regression via Randomized Rounding`:
        https://arxiv.org/abs/2009.00225
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        hidden_channels: int | None = None,
        loss: ConfigType = dict(type='SpatialSoftmaxCELoss', use_target_weight=True),
        decoder: OptConfigType = None,
        decode_scores: str = 'log_prob',
        init_cfg: OptConfigType = None,
    ) -> None:
        if init_cfg is None:
            init_cfg = self.default_init_cfg
        super().__init__(init_cfg)
        if decode_scores not in DECODE_SCORES:
            raise ValueError(f'decode_scores must be one of {DECODE_SCORES}, got {decode_scores!r}')
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.decode_scores = decode_scores
        self.loss_module = MODELS.build(loss)
        if not isinstance(self.loss_module, RandomizedRoundingLoss):
            raise TypeError(
                f'{type(self.loss_module).__name__} is not a randomized rounding loss: '
                'the head decodes the log-probabilities a RandomizedRoundingLoss defines'
            )
        logits = self.loss_module.logits_per_keypoint
        self.decoder = KEYPOINT_CODECS.build(decoder) if decoder is not None else None

        hidden = hidden_channels or in_channels
        # Layer indices follow H3R's checkpoints (layers.0, .1 and .3).
        self.layers = nn.Sequential(
            nn.Conv2d(in_channels, hidden, kernel_size=1, bias=False),
            nn.BatchNorm2d(hidden),
            nn.ReLU(inplace=True),
            nn.Conv2d(hidden, logits * out_channels, kernel_size=1, bias=False),
        )

    @property
    def default_init_cfg(self) -> list[dict]:
        return [
            dict(type='Normal', layer=['Conv2d'], std=0.001),
            dict(type='Constant', layer='BatchNorm2d', val=1),
        ]

    def forward(self, feats: tuple[Tensor]) -> Tensor:
        """Raw logits (N, logits_per_keypoint * K, H, W) from the last
        (fused) feature map."""
        return self.layers(feats[-1])

    def score_maps(self, outputs: Tensor) -> Tensor:
        """The (N, K, H, W) maps the codec decodes (see ``decode_scores``)."""
        if self.decode_scores == 'log_prob':
            return self.loss_module.log_probs(outputs)
        return self.loss_module.keypoint_logits(outputs)

    def predict(
        self,
        feats: tuple[Tensor] | list[tuple[Tensor]],
        batch_data_samples: OptSampleList,
        test_cfg: ConfigType = {},
    ) -> Predictions:
        """Decode keypoints in input space; see the class doc for flip test.

        With ``test_cfg['output_heatmaps']`` the loss's per-cell
        probabilities of the plain (unflipped) pass are returned as well,
        whatever ``decode_scores`` is.
        """
        if test_cfg.get('flip_test', False):
            if not (isinstance(feats, list) and len(feats) == 2):
                raise ValueError('flip_test expects features of the plain and flipped inputs')
            flip_indices = batch_data_samples[0].metainfo['flip_indices']
            outputs = self.forward(feats[0])
            maps = self.score_maps(outputs)
            # Raw masses from both passes (batch_decode(maps, calibrated=False)),
            # averaged, then calibrated once: the codec's calibration is fitted
            # to, and keeps the order of, the final score.
            preds = self.decode((maps, False))
            flipped = self.decode((self.score_maps(self.forward(feats[1])), False))
            for pred, pred_flip in zip(preds, flipped):
                # Scores ride along as the "visibility" MMPose's helper swaps.
                mirrored, mirrored_scores = flip_keypoints(
                    pred_flip.keypoints,
                    pred_flip.keypoint_scores,
                    image_size=self.decoder.input_size,
                    flip_indices=flip_indices,
                )
                pred.keypoints = (pred.keypoints + mirrored) * 0.5
                pred.keypoint_scores = self.decoder.calibrate(
                    (pred.keypoint_scores + mirrored_scores) * 0.5
                )
        else:
            outputs = self.forward(feats)
            preds = self.decode(self.score_maps(outputs))

        if test_cfg.get('output_heatmaps', False):
            probs = self.loss_module.log_probs(outputs).detach().exp()
            return preds, [PixelData(heatmaps=hm) for hm in probs]
        return preds

    def loss(
        self, feats: tuple[Tensor], batch_data_samples: OptSampleList, train_cfg: ConfigType = {}
    ) -> dict:
        """Loss on the randomized rounding targets, plus ``acc_pose`` (PCK
        of the map maxima, as MMPose's heatmap heads report)."""
        outputs = self.forward(feats)
        gt_heatmaps = torch.stack([d.gt_fields.heatmaps for d in batch_data_samples])
        keypoint_weights = torch.cat(
            [d.gt_instance_labels.keypoint_weights for d in batch_data_samples]
        )
        losses = dict(loss_kpt=self.loss_module(outputs, gt_heatmaps, keypoint_weights))
        if train_cfg.get('compute_acc', True):
            _, avg_acc, _ = pose_pck_accuracy(
                output=to_numpy(self.score_maps(outputs.detach()).exp()),
                target=to_numpy(gt_heatmaps),
                mask=to_numpy(keypoint_weights) > 0,
            )
            losses['acc_pose'] = torch.tensor(avg_acc, device=gt_heatmaps.device)
        return losses
