"""The main job, end to end on the built-in generated faces.

1. generate the dataset if missing (seconds);
2. train the MobileNetV2 H3R model at 128x128 with MMPose's own
   tools/train.py (the one inside the installed mmpose package, run by
   ``python -m rr_mmpose.tools.train``);
3. test it with MMPose's own tools/test.py (NME, inter-ocular);
4. run MMPoseInferencer with this repository's config and the new
   checkpoint on a few test images, drawing the predicted landmarks;
5. write a summary (NME, times) to work_dirs/demo/summary.md.
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CONFIG = (
    REPO / 'configs/face_2d_keypoint/rr_heatmap/generated_faces/'
    'td-hm_mobilenetv2_rr-1xb32-8e_generated-faces-128x128.py'
)
DATA = REPO / 'data' / 'generated_faces'


def run_tool(name: str, args) -> None:
    """MMPose's tools/<name>.py, through rr_mmpose.tools (quiet logs)."""
    cmd = [sys.executable, '-m', f'rr_mmpose.tools.{name}', *map(str, args)]
    print('$', ' '.join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=REPO)


def latest_test_metrics(test_dir: Path) -> dict:
    """The metrics MMEngine's test loop wrote as ``<timestamp>/<timestamp>.json``."""
    logs = sorted(test_dir.glob('*/*.json'))
    if not logs:
        raise FileNotFoundError(f'no test metrics under {test_dir}')
    return json.loads(logs[-1].read_text().splitlines()[-1])


def infer(checkpoint: Path, out_dir: Path, count: int) -> float:
    """MMPoseInferencer on ``count`` test images with their face boxes;
    returns the mean NME (%) of those images."""
    import numpy as np
    from mmpose.apis import MMPoseInferencer

    from rr_mmpose.apis import FixedFaceBoxes, use_face_boxes
    from rr_mmpose.datasets.generate_faces import annotation_path
    from rr_mmpose.evaluation.video_metrics import outer_eye_nme

    doc = json.loads(annotation_path(DATA, 'test').read_text())
    inferencer = MMPoseInferencer(
        pose2d=str(CONFIG), pose2d_weights=str(checkpoint), device='cpu', det_model='whole_image'
    )
    preds, gts = [], []
    for image, ann in list(zip(doc['images'], doc['annotations']))[:count]:
        x, y, w, h = ann['bbox']
        use_face_boxes(inferencer, FixedFaceBoxes([[x, y, x + w, y + h]]))
        (result,) = inferencer(
            str(DATA / 'images' / image['file_name']),
            vis_out_dir=str(out_dir),
            radius=2,
            thickness=1,
        )
        preds.append(result['predictions'][0][0]['keypoints'])
        gts.append(np.array(ann['keypoints']).reshape(-1, 3)[:, :2])
    return outer_eye_nme(preds, gts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work-dir', default=str(REPO / 'work_dirs' / 'demo'))
    parser.add_argument('--epochs', type=int, help='override the config schedule')
    parser.add_argument('--num-vis', type=int, default=6)
    args = parser.parse_args()
    work_dir = Path(args.work_dir)
    times = {}

    t = time.perf_counter()
    from rr_mmpose.datasets import generated_faces

    generated_faces(DATA)
    times['data'] = time.perf_counter() - t

    t = time.perf_counter()
    options = ['--cfg-options', f'train_cfg.max_epochs={args.epochs}'] if args.epochs else []
    run_tool('train', [CONFIG, '--work-dir', work_dir, *options])
    checkpoint = Path((work_dir / 'last_checkpoint').read_text().strip())
    times['train'] = time.perf_counter() - t

    t = time.perf_counter()
    run_tool('test', [CONFIG, checkpoint, '--work-dir', work_dir / 'test'])
    nme = 100 * latest_test_metrics(work_dir / 'test')['NME']
    times['test'] = time.perf_counter() - t

    t = time.perf_counter()
    vis_dir = work_dir / 'vis'
    vis_nme = infer(checkpoint, vis_dir, args.num_vis)
    times['inference'] = time.perf_counter() - t

    total = sum(times.values())
    summary = '\n'.join(
        [
            '# rr-mmpose demo',
            '',
            f'- config: `{CONFIG.relative_to(REPO)}`',
            f'- checkpoint: `{checkpoint}`',
            f'- test NME (MMPose tools/test.py, 300 generated faces): **{nme:.2f} %**',
            f'- MMPoseInferencer NME on {args.num_vis} drawn images: {vis_nme:.2f} %',
            f'- drawn landmarks: `{vis_dir}`',
            '- time (s): '
            + ', '.join(f'{k} {v:.0f}' for k, v in times.items())
            + f', total {total:.0f}',
        ]
    )
    (work_dir / 'summary.md').write_text(summary + '\n')
    print('\n' + summary)


if __name__ == '__main__':
    main()
