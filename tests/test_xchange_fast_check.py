"""The compiled xChange check (fastjsonschema) gives jsonschema's verdict on every product:
the products of a real build, and each of them broken in every way a mutation can."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import CATALOG

from cae_export.cli import main
from cae_export.formats.etim.xchange import fast_check, validator

BAD_VALUES: tuple[Any, ...] = (None, 0, -1.5, True, "", "x" * 300, "not a uri at all",
                               "2024-13-45", "EC00", [], {}, ["x"], [{}], "OBSOLETE")


@pytest.fixture(scope="module")
def products(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    out = tmp_path_factory.mktemp("xchange")
    assert main(["build", str(CATALOG), "--out", str(out), "--target", "etim-xchange",
                 "--jobs", "1"]) == 0
    document = json.loads((out / "etim" / "etim-xchange.json").read_text(encoding="utf-8"))
    return [p for supplier in document["Supplier"] for p in supplier["Product"]]


def paths(node: Any, prefix: tuple = ()) -> Iterator[tuple]:
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from paths(value, (*prefix, index))


def mutants(product: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The product with one place changed: a value replaced, a key dropped or added, a list
    item repeated."""
    for path in list(paths(product))[1:]:
        for bad in BAD_VALUES:
            yield replaced(product, path, lambda _old, bad=bad: copy.deepcopy(bad))
        yield replaced(product, path, None)  # dropped
    for path in paths(product):
        yield replaced(product, path, lambda old: {**old, "Unexpected": 1}
                       if isinstance(old, dict) else old)
        yield replaced(product, path, lambda old: [*old, copy.deepcopy(old[0])]
                       if isinstance(old, list) and old else old)


def replaced(product: dict[str, Any], path: tuple, change: Any) -> dict[str, Any]:
    mutant = copy.deepcopy(product)
    if not path:
        return change(mutant)
    parent = mutant
    for step in path[:-1]:
        parent = parent[step]
    if change is None:
        del parent[path[-1]]
    else:
        parent[path[-1]] = change(parent[path[-1]])
    return mutant


def fast_verdict(product: Any) -> bool:
    try:
        fast_check("product")(product)
        return True
    except Exception:
        return False


def test_the_compiled_check_agrees_with_jsonschema_on_every_mutant(products) -> None:
    slow = validator("product")
    checked = disagreements = 0
    examples = []
    for product in products:
        assert fast_verdict(product) and slow.is_valid(product)
        for mutant in mutants(product):
            checked += 1
            if fast_verdict(mutant) != slow.is_valid(mutant):
                disagreements += 1
                examples.append(json.dumps(mutant)[:300])
    assert checked > 1000
    assert disagreements == 0, examples[:3]
