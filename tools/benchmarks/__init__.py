"""The studies behind docs/benchmarks.md: ``python -m tools.benchmarks.<name>``,
all of them through ``python -m tools.benchmarks.run_all``.

- Studies (``render.STUDIES``): each measures into
  ``docs/benchmarks/<name>.json`` and renders its section with
  ``section(result, results)`` (``results``: every study's stored file).
- Shared by the studies: ``study`` (result files, provenance, timing),
  ``rows`` (the training studies' rows: config, training, summaries,
  tables), ``codec_zoo`` (MMPose's codecs beside ours) and
  ``int8_keypoints`` (the edge study's numpy-only runner, for an emulated
  CPU).
- The one renderer, ``render``: docs/benchmarks.md, its figures, the
  README's blocks (the results block from the studies' summaries, the
  quality block from the quality and video studies' tables), the results
  pages and metafiles (entries from ``model_index``), all from the stored
  files; ``run_all`` measures, then calls it (``run_all --render`` only
  renders).
"""

# First, before any study imports MMPose: registers the plugin and silences
# the upstream noise (rr_mmpose.upstream_noise).
import rr_mmpose  # noqa: F401
