"""Fit the score calibration of a randomized rounding model on the
config's validation set, and write the config with it.

    python -m rr_mmpose.tools.calibrate CONFIG CHECKPOINT --out CALIBRATED_CONFIG.py \
        [--cfg-options val_dataloader.dataset.ann_file=HELD_OUT.json] [--device cpu]

The WFLW, 300W and 300W-LP face configs (MMPose's and the ones shipped here)
validate on the test split: fit on a held-out split instead
(``--cfg-options``, as MMPose's tools take it), or the scores are
calibrated on the faces they are then tested on. LaPa's validate on its
val split already.

The written config is the given one with ``score_temperature`` and
``score_bias`` set in the head's decoder (``sigmoid(logit(s) / T + b)``,
:mod:`rr_mmpose.codecs.score_calibration`): test or infer with it (and the
same checkpoint), and the keypoint scores are calibrated; coordinates, and
so the NME, are unchanged.
The event calibrated against is the one ``FaceLandmarkMetric`` reports ECE
for, taken from the config's ``val_evaluator`` (or built from its ``NME``).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mmengine.config import Config

    from rr_mmpose.evaluation.face_landmark_metric import FaceLandmarkMetric


def check_calibrates(cfg: Config) -> None:
    """A ``ValueError`` unless the config's head decodes with a codec that
    calibrates its scores (checked before any weight is loaded)."""
    from mmpose.registry import KEYPOINT_CODECS

    from rr_mmpose.evaluation.calibration import calibrates, refusal

    decoder_cfg = cfg.model.get('head', {}).get('decoder')
    if decoder_cfg is None:
        raise ValueError("the config's head has no decoder to calibrate")
    decoder = KEYPOINT_CODECS.build(decoder_cfg)
    if not calibrates(decoder):
        raise ValueError(refusal(decoder))


def metric_of(cfg: Config) -> FaceLandmarkMetric:
    """The config's ``FaceLandmarkMetric``, or one normalised as its NME."""
    from mmpose.registry import METRICS

    entries = cfg.val_evaluator if isinstance(cfg.val_evaluator, list) else [cfg.val_evaluator]
    chosen = next((e for e in entries if e['type'] == 'FaceLandmarkMetric'), None)
    if chosen is None:
        nme = next((e for e in entries if e['type'] == 'NME'), None)
        if nme is None:
            raise ValueError('the config has neither FaceLandmarkMetric nor NME in val_evaluator')
        chosen = dict(nme, type='FaceLandmarkMetric')
    return METRICS.build(dict(chosen))


def main(argv: Sequence[str] | None = None) -> dict:
    from mmengine.config import DictAction

    import rr_mmpose  # noqa: F401  (registers the codecs, heads, metric)

    parser = argparse.ArgumentParser(
        prog='python -m rr_mmpose.tools.calibrate', description=__doc__.splitlines()[0]
    )
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--out', type=Path, required=True, help='the calibrated config to write')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help="override settings as MMPose's tools do, e.g. "
        'val_dataloader.dataset.ann_file=HELD_OUT.json; the written config keeps them',
    )
    parser.add_argument('--device', default='cpu', help='where the model runs (default: cpu)')
    args = parser.parse_args(argv)

    from mmengine.config import Config
    from mmengine.runner import Runner
    from mmpose.apis import init_model

    from rr_mmpose.evaluation.calibration import calibrate, predicted_samples
    from rr_mmpose.utils.atomic_write import atomic_output

    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    check_calibrates(cfg)
    metric = metric_of(cfg)
    # Fitted on raw scores, so a calibrated config is calibrated afresh.
    cfg.model.head.decoder.update(score_temperature=1.0, score_bias=0.0)
    model = init_model(cfg, args.checkpoint, device=args.device)
    loader = Runner.build_dataloader(cfg.val_dataloader)
    metric.dataset_meta = loader.dataset.metainfo
    result = calibrate(predicted_samples(model, loader), metric)
    cfg.model.head.decoder.score_temperature = result['temperature']
    cfg.model.head.decoder.score_bias = result['bias']
    with atomic_output(args.out, suffix='.py') as tmp:
        cfg.dump(tmp)
    print(
        f'score_temperature {result["temperature"]:.4f}, score_bias {result["bias"]:.4f} '
        f'on {result["keypoints"]} keypoints: '
        f'ECE {result["ece_before"]:.4f} -> {result["ece_after"]:.4f}; wrote {args.out}'
    )
    return result


if __name__ == '__main__':
    main()
