"""What each config folder's results page (``<algorithm>_<dataset>.md``) and
``metafile.yml`` (MMPose's model-index format) say, from
``rr_mmpose.h3r.published``, the complexity study
(``docs/benchmarks/complexity.json``) and, for the configs that a converged
study trains (``resolution``: as shipped, the schedule scaled to the CPU;
``rtmpose``: under that study's from-scratch recipe), their NME on the
generated faces. The renderer (``tools.benchmarks.render``) writes them.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from rr_mmpose.h3r.published import BENCHMARKS, PAPER, RELEASED_MODELS, published_for_config

from . import rows, study

CONFIGS = Path('configs')
COLLECTION = 'RandomizedRounding'
TASKS = {'face_2d_keypoint': 'Face 2D Keypoint', 'body_2d_keypoint': 'Body 2D Keypoint'}
DATASETS = {
    'wflw': 'WFLW',
    'lapa': 'LaPa',
    '300w': '300W',
    '300wlp': '300W-LP',
    'coco': 'COCO',
    'coco_wholebody_face': 'COCO-WholeBody-Face',
    'generated_faces': 'generated faces (rr_mmpose.datasets.generate_faces)',
}
BACKBONES = (
    ('hrnetv2-w18', 'HRNetv2-W18'),
    ('hrnetv2-w32', 'HRNetv2-W32'),
    ('hrnet-w32', 'HRNet-W32'),
    ('mobilenetv2', 'MobileNetV2'),
    ('rtmpose-t', 'RTMPose-t'),
    ('rtmpose-m', 'RTMPose-m'),
)


def architecture(config: str) -> list[str]:
    name = Path(config).name
    backbone = next((label for key, label in BACKBONES if key in name), 'unknown')
    return [backbone, COLLECTION]


GENERATED = 'Generated faces'


def converged_results(studies: dict[str, dict | None]) -> dict[str, dict]:
    """Shipped config -> its converged study row's summary (mean NME over
    seeds, on the generated faces): the randomized rounding rows whose
    model is a shipped 300W config at its own input (heatmap rows at
    stride 4; RTMPose rows at the shipped split ratio, s = 2)."""
    from . import resolution, rtmpose

    found = {}
    for name, module, objective in (
        ('resolution', resolution, resolution.RR),
        ('rtmpose', rtmpose, 'RR s=2'),
    ):
        stored = studies.get(name)
        for s in module.summarise(stored['runs']) if stored else []:
            if s['row'] != objective or rows.stride_of(s) != rows.PAPER_STRIDE:
                continue
            size = s['input']
            if s['arch'] == 'rtmpose-t':
                config = (
                    f'face_2d_keypoint/rr_simcc/300w/rtmpose-t_rr-8xb64-60e_300w-{size}x{size}.py'
                )
            else:
                config = (
                    f'face_2d_keypoint/rr_heatmap/300w/td-hm_{s["arch"]}_rr-8xb64-60e_300w-p2-'
                    f'{size}x{size}.py'
                )
            found[config] = dict(s, study=name)
    return found


def entries(
    complexity: dict, studies: dict[str, dict | None] | None = None
) -> dict[Path, list[dict]]:
    """Model-index entries grouped by config folder (``studies``: the stored
    results, by study)."""
    converged = converged_results(studies or {})
    folders: dict[Path, list[dict]] = defaultdict(list)
    for row in complexity['rows']:
        config = Path('configs') / row['config']
        task = TASKS[row['config'].split('/')[0]]
        dataset = DATASETS[config.parent.name]
        entry = dict(
            Config=config.as_posix(),
            **{'In Collection': COLLECTION},
            Metadata=dict(
                Architecture=architecture(row['config']),
                **{'Training Data': dataset},
                Parameters=f'{row["params_m"]:.3f}M',
                FLOPs=f'{row["gflops"]:.3f}G',
            ),
            Name=config.stem,
        )
        paper = published_for_config(row['config'])
        # weights also where H3R released a model without publishing its figures
        released = paper or next(
            (m for m in RELEASED_MODELS.values() if row['config'].endswith(m.config)), None
        )
        if released is not None:
            entry['Weights'] = released.url
        if paper is not None:
            test_set = 'AFLW2000-3D' if paper.benchmark == 'AFLW2000-3D' else dataset
            entry['Results'] = [dict(Dataset=test_set, Metrics=dict(NME=paper.nme), Task=task)]
            entry['Metadata']['Results From'] = (
                f"H3R's released model {paper.name} ({paper.source}); {BENCHMARKS[paper.benchmark]}"
            )
        trained = converged.get(row['config'])
        if trained is not None:
            entry.setdefault('Results', []).append(
                dict(
                    Dataset=GENERATED, Metrics=dict(NME=round(trained['final_mean'], 2)), Task=task
                )
            )
            # the RTMPose rows train under their study's own recipe, not the config's
            recipe = (
                "under the RTMPose study's from-scratch recipe, not this config's schedule"
                if trained['study'] == 'rtmpose'
                else "under this config's schedule scaled to the CPU"
            )
            seeds = trained['seeds']
            over = (
                f'seed {seeds[0]}'
                if len(seeds) == 1
                else f'mean over seeds {rows.listed([str(s) for s in seeds])}'
            )
            entry['Metadata']['Generated Faces Results From'] = (
                f'trained from scratch, {trained["epochs"]} CPU epochs of {trained["num_train"]} '
                f'faces {recipe}, {over} (docs/benchmarks.md#{trained["study"]})'
            )
        folders[config.parent].append(entry)
    return folders


def generated_nme(model: dict) -> float | None:
    """A model-index entry's NME on the generated faces, if it has one."""
    found = [r['Metrics']['NME'] for r in model.get('Results', []) if r['Dataset'] == GENERATED]
    return found[0] if found else None


def page(folder: Path, models: list[dict]) -> str:
    converged = any(generated_nme(m) is not None for m in models)
    extra = ' NME (%), generated faces, converged |' if converged else ''
    lines = [
        study.GENERATED_NOTE,
        '',
        f'# Randomized rounding on {DATASETS[folder.name]}',
        '',
        f'[{PAPER["title"]}]({PAPER["url"]}), {PAPER["authors"]}, {PAPER["venue"]} '
        f'{PAPER["year"]}.',
        '',
        f'| config | input | params (M) | GFLOPs | NME (%) |{extra} weights |',
        '|---|---|---|---|---|' + ('---|' if converged else '') + '---|',
    ]
    for m in models:
        name = Path(m['Config']).name
        size = name.rsplit('-', 1)[-1].removesuffix('.py')
        results = [r for r in m.get('Results', []) if r['Dataset'] != GENERATED]
        nme = f'{results[0]["Metrics"]["NME"]:.2f} ({results[0]["Dataset"]})' if results else '-'
        ours = generated_nme(m)
        generated = ('-' if ours is None else f'{ours:.2f}') + ' | ' if converged else ''
        weights = f'[H3R]({m["Weights"]}) (convert)' if 'Weights' in m else '-'
        lines.append(
            f'| [`{Path(name).stem}`](./{name}) | {size} | '
            f'{m["Metadata"]["Parameters"][:-1]} | {m["Metadata"]["FLOPs"][:-1]} | {nme} | '
            f'{generated}{weights} |'
        )
    counted = (
        "Parameters and FLOPs are counted here, as MMPose's `get_flops.py` counts them "
        '(`python -m tools.benchmarks.complexity`).'
    )
    published = any(r['Dataset'] != GENERATED for m in models for r in m.get('Results', []))
    if folder.parent.name == 'rr_simcc':
        note = (
            "RTMPose (MMPose's `RTMCCHead`, MMPose's recipe; each config's header names the "
            'file) with `RandomizedRoundingSimCC` targets and decoding. No NME on the real '
            'dataset is published or was measured here; the generated-faces study is in '
            f'docs/benchmarks.md. {counted}'
        )
    elif published:
        note = (
            "NME is H3R's published figure for its released model of the same architecture, "
            "input size and box protocol ('-' where H3R released the model without one). The "
            "converter matches H3R's inference as rebuilt from its source, with random weights "
            "(docs/h3r.md); the released weights were not reachable, so no converted model's NME "
            f'was measured here. {counted}'
        )
    else:
        note = f'H3R released no model for {DATASETS[folder.name]}: no NME is quoted. {counted}'
    if converged:
        if folder.parent.name == 'rr_simcc':
            anchor, how = 'rtmpose', "under the RTMPose study's from-scratch recipe"
        else:
            anchor, how = 'resolution', 'to its own schedule scaled to a 2-core CPU'
        note += (
            ' "Generated faces, converged": the config trained from scratch on the generated '
            f'faces {how}, mean NME over seeds '
            f'([docs/benchmarks.md](../../../../docs/benchmarks.md#{anchor})); not comparable '
            'with NME on a real dataset.'
        )
    lines += ['', note]
    return '\n'.join(lines) + '\n'


def page_name(folder: Path) -> str:
    return f'{folder.parent.name}_{folder.name}.md'
