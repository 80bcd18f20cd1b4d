"""Side-by-side benchmarks: ``python -m tools.benchmarks.<name>``."""
