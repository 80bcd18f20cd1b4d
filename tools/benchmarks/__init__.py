"""The studies behind docs/benchmarks.md: ``python -m tools.benchmarks.<name>``,
all of them through ``python -m tools.benchmarks.run_all``."""

# First, before any study imports MMPose: registers the plugin and silences
# the upstream noise (rr_mmpose.upstream_noise).
import rr_mmpose  # noqa: F401
