"""Names a package exports from its submodules, loaded on first use.

A package that imports a submodule it also runs as ``python -m`` makes
runpy warn that the module was found in ``sys.modules`` before being
executed; such packages export these names lazily (PEP 562)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module


def lazy_exports(package: str, exports: Mapping[str, str]) -> Callable[[str], object]:
    """A module ``__getattr__`` for ``package`` that imports
    ``exports[name]`` (a submodule, relative to ``package``) on first use."""

    def getattr_(name: str) -> object:
        if name in exports:
            return getattr(import_module(f'.{exports[name]}', package), name)
        raise AttributeError(f'module {package!r} has no attribute {name!r}')

    return getattr_
