"""Measure the studies, then render every generated page from their results.

    python -m tools.benchmarks.run_all                  # every study (hours on 2 cores)
    python -m tools.benchmarks.run_all --only quantization codec_speed
    python -m tools.benchmarks.run_all --render         # measure nothing, render the stored results

A training study trains only the runs it has not stored (its ``--rerun``
trains them again), so a second ``run_all`` resumes the training; every
other study measures again.
Each study stores its result in ``docs/benchmarks/<name>.json``, tagged with
its provenance (the training studies tag each run); ``tools.benchmarks.render``
writes docs/benchmarks.md, its figures, the README's generated blocks and
the config folders' results pages and metafiles from those files alone.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from .render import DOC, STUDIES, render


def measure(name: str) -> None:
    """Run study ``name`` as a user reruns it, ``python -m
    tools.benchmarks.<name>`` with its defaults: every study measures into
    its JSON through that one interface, which its results record."""
    subprocess.run([sys.executable, '-m', f'tools.benchmarks.{name}'], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument('--only', nargs='+', choices=list(STUDIES), help='measure these only')
    group.add_argument('--render', action='store_true', help='measure nothing')
    args = parser.parse_args()
    names = [] if args.render else args.only or list(STUDIES)
    for name in names:
        print(f'measuring {name}', flush=True)
        measure(name)
    render()
    print(f'wrote {DOC}')


if __name__ == '__main__':
    main()
