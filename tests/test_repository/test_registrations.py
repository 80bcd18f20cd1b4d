"""What ``import rr_mmpose`` registers is what the README's table and the
package docstring list: no name missing, none left over."""

import re

import mmpose.registry
import pytest

import rr_mmpose

from ..helpers import REPO

REGISTRIES = ('KEYPOINT_CODECS', 'MODELS', 'TRANSFORMS', 'DATASETS', 'METRICS')


def registered() -> set[tuple[str, str]]:
    """(registry, name) of every rr_mmpose class in MMPose's registries."""
    out = set()
    for registry in REGISTRIES:
        for name, cls in getattr(mmpose.registry, registry).module_dict.items():
            if cls.__module__.startswith('rr_mmpose.'):
                out.add((registry, name))
    return out


def names(cell: str) -> list[str]:
    return re.findall(r'`(\w+)`', cell)


def readme_table() -> set[tuple[str, str]]:
    """The README's registration table: a row with as many registries as
    names pairs them in order; one registry takes every name."""
    text = (REPO / 'README.md').read_text()
    table = text.split('`import rr_mmpose` registers', 1)[1].split('\n\n', 2)[1]
    out = set()
    for line in table.splitlines()[2:]:
        registries, entries = (names(cell) for cell in line.split('|')[1:3])
        if len(registries) == 1:
            registries = registries * len(entries)
        assert len(registries) == len(entries), line
        out |= set(zip(registries, entries))
    return out


def docstring_list() -> set[tuple[str, str]]:
    """The package docstring's list: ``- ``REGISTRY``: ``Name``, ...``."""
    doc = rr_mmpose.__doc__.split('registries:', 1)[1].split('\n\n', 2)[1]
    out = set()
    for item in re.split(r'\n- ', '\n' + doc)[1:]:
        registry, *entries = names(item)
        out |= {(registry, name) for name in entries}
    return out


def test_the_registrations_are_the_listed_ones():
    found = registered()
    assert len(found) >= 13  # the parsing below has something to agree with
    assert readme_table() == found
    assert docstring_list() == found


@pytest.mark.parametrize('listing', [readme_table, docstring_list])
def test_a_listing_parses_to_pairs_of_registry_and_name(listing):
    assert all(registry in REGISTRIES for registry, _ in listing())
