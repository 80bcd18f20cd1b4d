"""Scripts around the package; ``tools.benchmarks`` runs with ``python -m``."""
