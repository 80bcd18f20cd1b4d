"""Face-landmark figures for ``val_evaluator``: per-face NME, failure rate,
the CED's AUC, NME percentiles, NME per annotated subset, and how well the
predicted keypoint scores are calibrated."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from mmengine.logging import MMLogger
from mmpose.evaluation.metrics import NME
from mmpose.registry import METRICS
from scipy.stats import rankdata

PERCENTILES = (50, 90, 99)
# COCO's visibility flag of a keypoint that is labelled but not visible.
OCCLUDED_FLAG = 1


@METRICS.register_module()
class FaceLandmarkMetric(NME):
    """WFLW-style face landmark figures, normalised as MMPose's ``NME`` is.

    Subclasses MMPose's :class:`~mmpose.evaluation.metrics.NME` for its
    normalisation (``norm_mode='keypoint_distance'``: the distance between
    ``keypoint_indices``, by default the dataset's outer eye corners;
    ``'use_norm_item'``: ``gt_instances[norm_item]``, where ``'bbox_size'``
    is ``max(w, h)`` of the box) and its ``process()``. One face per sample
    (top-down): ``pred_instances.keypoints`` (1, K, D),
    ``gt_instances.keypoints`` (1, K, D), ``keypoints_visible`` (1, K) or
    (1, K, 1), optionally ``pred_instances.keypoint_scores`` (1, K). Only
    visible keypoints are scored; per face ``NME_i = mean_k e_ik`` with
    ``e_ik = ||pred_ik - gt_ik|| / normaliser_i``.

    Reports (prefixed ``face/``): ``NME`` (mean of ``NME_i``, %),
    ``FR@<t>``, ``AUC@<t>`` (exact area under the CED up to ``t =
    failure_threshold``), ``p50``/``p90``/``p99``, ``NME/<subset>`` for
    flagged subsets, and, from scores that are probabilities, ``ECE``,
    ``AUROC/failed`` and ``AUROC/occluded``. Each figure is defined in
    ``docs/quality.md#the-figures-face-papers-report``; a figure left out
    (no scores, scores outside [0, 1], no positives) is named in the log
    with its reason.

    Use it beside MMPose's ``NME`` (whose keys are unprefixed)::

        val_evaluator = [
            dict(type='NME', norm_mode='keypoint_distance'),
            dict(type='FaceLandmarkMetric', norm_mode='keypoint_distance'),
        ]

    Args:
        norm_mode (str): ``'keypoint_distance'`` or ``'use_norm_item'``
        norm_item (str, optional): the ``gt_instances`` item to normalise by
        keypoint_indices (Sequence[int], optional): the two keypoints whose
            distance normalises; ``None``: the dataset's default
        failure_threshold (float): the NME above which a face (or the
            normalised error above which a keypoint) has failed. Default 0.1
        calibration_threshold (float): the normalised keypoint error below
            which a keypoint counts as correct for ``ECE``. Default 0.05
        num_bins (int): the number of ``ECE`` bins. Default 15
        read_scores (bool): read ``keypoint_scores``; ``False`` for scores
            that are not probabilities (no score figure then). Default True
        collect_device (str): ``'cpu'`` or ``'gpu'``, as for ``NME``
        prefix (str, optional): the key prefix; default ``'face'``

    Raises:
        KeyError: an unknown ``norm_mode``; ``'use_norm_item'`` without
            ``norm_item``, or a sample without it
        ValueError: a threshold that is not finite and positive,
            ``keypoint_indices`` that are not two distinct keypoints; in
            ``process()``, a keypoint count differing from the ground
            truth's, more than one face, non-finite scores (the batch is
            then not stored); a zero or non-finite normaliser (naming the
            sample)
    """

    default_prefix: str | None = 'face'

    def __init__(
        self,
        norm_mode: str,
        norm_item: str | None = None,
        keypoint_indices: Sequence[int] | None = None,
        failure_threshold: float = 0.1,
        calibration_threshold: float = 0.05,
        num_bins: int = 15,
        read_scores: bool = True,
        collect_device: str = 'cpu',
        prefix: str | None = None,
    ) -> None:
        # NME checks norm_mode and norm_item (KeyError); the rest is ours.
        if keypoint_indices is not None:
            keypoint_indices = [int(i) for i in keypoint_indices]
            if len(keypoint_indices) != 2 or keypoint_indices[0] == keypoint_indices[1]:
                raise ValueError(
                    f'keypoint_indices must name two distinct keypoints, got {keypoint_indices}'
                )
        for name, value in (
            ('failure_threshold', failure_threshold),
            ('calibration_threshold', calibration_threshold),
        ):
            if not (np.isfinite(value) and value > 0):
                raise ValueError(f'{name} must be finite and positive, got {value}')
        if int(num_bins) != num_bins or num_bins < 1:
            raise ValueError(f'num_bins must be a positive integer, got {num_bins}')
        super().__init__(
            norm_mode=norm_mode,
            norm_item=norm_item,
            keypoint_indices=keypoint_indices,
            collect_device=collect_device,
            prefix=prefix,
        )
        self.failure_threshold = float(failure_threshold)
        self.calibration_threshold = float(calibration_threshold)
        self.num_bins = int(num_bins)
        self.read_scores = bool(read_scores)

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Check each sample, let ``NME.process`` store its coordinates, mask
        and normaliser item, and add the scores, occlusion flags and subsets.
        A batch with a bad sample raises and stores none of its samples.

        Args:
            data_batch (Any): the batch from the dataloader (unused)
            data_samples (Sequence[dict]): ``PoseDataSample.to_dict()`` each
        """
        stored = len(self.results)
        try:
            self._process(data_batch, data_samples)
        except Exception:
            del self.results[stored:]  # a batch with a bad sample stores nothing
            raise

    def _process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        for data_sample in data_samples:
            name = _sample_name(data_sample, len(self.results))
            pred, gt = data_sample['pred_instances'], data_sample['gt_instances']
            pred_shape = np.shape(pred['keypoints'])
            gt_shape = np.shape(gt['keypoints'])
            if len(pred_shape) != 3 or len(gt_shape) != 3:
                raise ValueError(
                    f'{name}: keypoints must have shape (1, K, D), got {pred_shape} predicted '
                    f'and {gt_shape} in the ground truth'
                )
            if pred_shape[1] != gt_shape[1]:
                raise ValueError(
                    f'{name}: the prediction has {pred_shape[1]} keypoints but the ground '
                    f'truth has {gt_shape[1]}'
                )
            if pred_shape != gt_shape or gt_shape[0] != 1:
                raise ValueError(
                    f'{name}: expected one face of shape (1, K, D) in prediction and ground '
                    f'truth, got {pred_shape} and {gt_shape}'
                )
            required = 'bboxes' if self.norm_item == 'bbox_size' else self.norm_item
            if required and required not in gt:
                raise KeyError(
                    f'{name}: gt_instances has no {required!r} to normalise by '
                    f'(norm_item={self.norm_item!r})'
                )
            num_keypoints = gt_shape[1]
            scores = self._scores(pred, num_keypoints, name)
            raw = data_sample.get('raw_ann_info')
            if isinstance(raw, (list, tuple)):
                raw = raw[0] if len(raw) == 1 else None
            if not isinstance(raw, dict):
                raw = None
            attributes = data_sample.get('attributes')
            if attributes is None and raw is not None:
                attributes = raw.get('attributes')
            subsets = _subset_names(attributes, name)
            super().process(data_batch, [data_sample])
            self.results[-1].update(
                name=name,
                scores=scores,
                occluded=_occlusion_flags(raw, num_keypoints),
                subsets=subsets,
            )

    def _scores(self, pred: dict, num_keypoints: int, name: str) -> np.ndarray | None:
        """(1, K) keypoint scores checked to lie in [0, 1], or ``None``."""
        if not self.read_scores or pred.get('keypoint_scores') is None:
            return None
        scores = np.asarray(pred['keypoint_scores'], dtype=np.float64).reshape(1, -1)
        if scores.shape[1] != num_keypoints:
            raise ValueError(
                f'{name}: {scores.shape[1]} keypoint_scores for {num_keypoints} keypoints'
            )
        if not np.isfinite(scores).all():
            raise ValueError(f'{name}: keypoint_scores must be finite, got {scores.tolist()}')
        return scores

    def compute_metrics(self, results: list) -> dict[str, float]:
        """The figures listed in the class docstring, from all samples.

        Args:
            results (list): what ``process()`` stored, one dict per face

        Returns:
            dict[str, float]: figure name -> value (unprefixed)
        """
        logger = MMLogger.get_current_instance()
        errors, mask = self.keypoint_errors(results)
        scored = mask.any(axis=1)
        left_out = int((~scored).sum())
        if left_out:
            logger.info(f'{type(self).__name__}: {left_out} faces without scored keypoints')
        face_nme = errors.sum(axis=1)[scored] / mask.sum(axis=1)[scored]

        t = self.failure_threshold
        metrics = {
            'NME': 100 * face_nme.mean(),
            f'FR@{t:g}': 100 * np.mean(face_nme > t),
            f'AUC@{t:g}': np.mean(np.maximum(0.0, 1.0 - face_nme / t)),
        }
        for q, value in zip(PERCENTILES, np.percentile(face_nme, PERCENTILES)):
            metrics[f'p{q}'] = 100 * value

        subsets = [r['subsets'] or () for r, s in zip(results, scored) if s]
        for subset in sorted(set().union(*subsets)):
            members = np.array([subset in s for s in subsets])
            metrics[f'NME/{subset}'] = 100 * face_nme[members].mean()

        skipped = []
        with_scores = np.array([r['scores'] is not None for r in results])
        with_scores &= scored
        outside = [
            r for r in results if r['scores'] is not None and not _probabilities(r['scores'])
        ]
        if outside:  # e.g. a Gaussian heatmap's maximum, a SimCC logit
            first = outside[0]
            skipped.append(
                f'ECE, AUROC/failed, AUROC/occluded (scores are not probabilities: '
                f'{first["name"]} has values in [{first["scores"].min():.3g}, '
                f'{first["scores"].max():.3g}])'
            )
            with_scores[:] = False
        elif with_scores.any():
            scores = np.concatenate([r['scores'] for r, w in zip(results, with_scores) if w])
            keep = mask[with_scores]
            s, e = scores[keep], errors[with_scores][keep]
            metrics['ECE'] = expected_calibration_error(
                s, e < self.calibration_threshold, self.num_bins
            )
            _add_auroc(metrics, skipped, 'AUROC/failed', -s, e > t, 'failed keypoint')
            with_flags = with_scores & np.array([r['occluded'] is not None for r in results])
            if with_flags.any():
                flagged = [r for r, f in zip(results, with_flags) if f]
                keep = mask[with_flags]
                s = np.concatenate([r['scores'] for r in flagged])[keep]
                occluded = np.concatenate([r['occluded'] for r in flagged])[keep]
                _add_auroc(metrics, skipped, 'AUROC/occluded', -s, occluded, 'occluded keypoint')
            else:
                skipped.append('AUROC/occluded (no face with occlusion flags and scores)')
        elif not skipped:
            skipped.append('ECE, AUROC/failed, AUROC/occluded (no keypoint_scores)')
        if skipped:
            logger.info(f'{type(self).__name__} does not report: ' + '; '.join(skipped))
        return {k: float(v) for k, v in metrics.items()}

    def keypoint_errors(self, results: list) -> tuple[np.ndarray, np.ndarray]:
        """Normalised keypoint errors ``e_ik`` (N, K), 0 where not scored,
        and the scored mask (N, K), from what ``process()`` stored."""
        names = [r['name'] for r in results]
        pred = np.concatenate([r['pred_coords'] for r in results]).astype(np.float64)
        gt = np.concatenate([r['gt_coords'] for r in results]).astype(np.float64)
        mask = np.concatenate([r['mask'] for r in results]).astype(bool)  # (N, K)
        normaliser = self._normalisers(results, gt)  # (N,)
        scored = mask.any(axis=1)
        if not scored.any():
            raise ValueError('no face has a scored keypoint (keypoints_visible is 0 everywhere)')
        bad = scored & ~(np.isfinite(normaliser) & (normaliser > 0))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f'{names[i]}: the NME normaliser ({self._normaliser_name()}) is '
                f'{normaliser[i]}; it must be finite and positive'
            )
        safe = np.where(scored, normaliser, 1.0)
        errors = np.linalg.norm(pred - gt, axis=-1) / safe[:, None]
        return np.where(mask, errors, 0.0), mask

    def _normaliser_name(self) -> str:
        if self.norm_mode == 'use_norm_item':
            return f'norm_item {self.norm_item!r}'
        return f'distance between keypoints {self.keypoint_indices or "(dataset default)"}'

    def _normalisers(self, results: list, gt: np.ndarray) -> np.ndarray:
        """(N,) per-face normalisers, from ``norm_item`` or the distance of
        two ground-truth keypoints (gt: (N, K, D))."""
        if self.norm_mode == 'use_norm_item':
            values = [np.asarray(r[self.norm_item], dtype=np.float64).reshape(-1) for r in results]
            for name, value in zip((r['name'] for r in results), values):
                if value.size != 1:
                    raise ValueError(
                        f'{name}: {self.norm_item!r} must hold one value per face, got {value.size}'
                    )
            return np.concatenate(values)
        indices = self.keypoint_indices
        if indices is None:
            dataset_name = (self.dataset_meta or {}).get('dataset_name')
            if dataset_name not in self.DEFAULT_KEYPOINT_INDICES:
                raise ValueError(
                    "norm_mode='keypoint_distance' without keypoint_indices needs "
                    f'dataset_meta["dataset_name"] among {sorted(self.DEFAULT_KEYPOINT_INDICES)}, '
                    f'got {dataset_name!r}'
                )
            indices = self.DEFAULT_KEYPOINT_INDICES[dataset_name]
        i, j = indices
        num_keypoints = gt.shape[1]
        if not (0 <= min(i, j) and max(i, j) < num_keypoints):
            raise ValueError(
                f'keypoint_indices {[i, j]} out of range for {num_keypoints} keypoints'
            )
        return np.linalg.norm(gt[:, i] - gt[:, j], axis=-1)


def _probabilities(scores: np.ndarray) -> bool:
    return bool(scores.min() >= 0 and scores.max() <= 1)


def expected_calibration_error(
    confidence: np.ndarray, correct: np.ndarray, num_bins: int = 15
) -> float:
    """ECE of confidences (M,) in [0, 1] against boolean outcomes (M,):
    ``sum_b (n_b / M) |mean(correct in b) - mean(confidence in b)|`` over
    ``num_bins`` equal-width bins ``[b / B, (b + 1) / B)``, the last closed."""
    confidence = np.asarray(confidence, dtype=np.float64)
    edges = np.linspace(0.0, 1.0, num_bins + 1)
    bins = np.digitize(confidence, edges[1:-1])  # 0 .. num_bins - 1
    gap = np.bincount(bins, weights=np.asarray(correct, dtype=np.float64), minlength=num_bins)
    gap -= np.bincount(bins, weights=confidence, minlength=num_bins)
    return float(np.abs(gap).sum() / confidence.size)


def auroc(scores: np.ndarray, positives: np.ndarray) -> float | None:
    """Exact AUROC of ``scores`` (M,) for boolean labels (M,): the
    Mann-Whitney U over ``n_pos * n_neg``, ties counted half (average
    ranks); ``None`` when either class is empty."""
    positives = np.asarray(positives, dtype=bool)
    n_pos = int(positives.sum())
    n_neg = positives.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return None
    ranks = rankdata(scores)
    return float((ranks[positives].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _add_auroc(
    metrics: dict, skipped: list, key: str, scores: np.ndarray, positives: np.ndarray, what: str
) -> None:
    value = auroc(scores, positives)
    if value is None:
        kind = 'no' if not np.any(positives) else 'only'
        skipped.append(f'{key} ({kind} {what}s)')
    else:
        metrics[key] = value


def _sample_name(data_sample: dict, index: int) -> str:
    """'sample 3 (id 17, img_path a/1.jpg)': the sample's position and ids."""
    parts = [f'{k} {data_sample[k]}' for k in ('id', 'img_id', 'img_path') if k in data_sample]
    return f'sample {index}' + (f' ({", ".join(parts)})' if parts else '')


def _occlusion_flags(raw: dict | None, num_keypoints: int) -> np.ndarray | None:
    """(1, K) bool occlusion of a face from its raw annotation, or ``None``."""
    if raw is None:
        return None
    keypoints = raw.get('keypoints')
    if keypoints is None or np.size(keypoints) != 3 * num_keypoints:
        return None
    flags = np.asarray(keypoints, dtype=np.float64).reshape(-1, 3)[:, 2]
    return (flags == OCCLUDED_FLAG)[None]


def _subset_names(attributes: Any, name: str) -> tuple[str, ...] | None:
    """The subsets a face belongs to, from its dict of flags."""
    if attributes is None:
        return None
    if isinstance(attributes, dict):
        return tuple(sorted(str(k) for k, flag in attributes.items() if flag))
    raise ValueError(f'{name}: attributes must be a dict of subset flags, got {attributes!r}')
