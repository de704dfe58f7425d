"""The xChange read-back check streams the written file and refuses broken or short ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from cae_export.core.problems import OutputInvalid
from cae_export.formats.etim.xchange import EtimXchange

GOOD = ('{"SchemaVersion": "2.0", "Supplier": [{"SupplierName": "W", '
        '"Product": [{"A": 1}, {"A": {"B": 2}}]}]}')


def checker(products: int) -> EtimXchange:
    target = EtimXchange.__new__(EtimXchange)  # only the read-back state is needed
    target.products = products
    return target


def test_read_back_counts_products(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text(GOOD, encoding="utf-8")
    checker(2)._check(path)
    with pytest.raises(OutputInvalid, match="1 products read back, 2 written"):
        path.write_text(GOOD.replace(', {"A": {"B": 2}}', ""), encoding="utf-8")
        checker(2)._check(path)


def test_read_back_refuses_truncated_json(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text(GOOD[:-5], encoding="utf-8")
    with pytest.raises(OutputInvalid, match="not valid JSON"):
        checker(2)._check(path)
