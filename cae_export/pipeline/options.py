"""The settings of one build, shared by every target (picklable: workers receive them)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class BuildOptions:
    per_part: bool = False                 # also one document per part (eplan)
    etim_model: Path | None = None         # ETIM release in the official CSV layout
    jobs: int = 1                          # worker processes
    validity_start: str | None = None      # xChange CatalogueValidityStart (YYYY-MM-DD)
    markers_max_pages: int | None = None   # pages per marker sheet file (default: markers' own)
    allow_formula_text: bool = False       # marker texts that would act as spreadsheet formulas
    bmecat_header: Path | None = None      # BMEcat header settings (buyer, catalog name, …)
    prices: Path | None = None             # prices CSV: a BMEcat price catalog (T_NEW_CATALOG)
    bmecat_transaction: str = "auto"       # auto (catalog with prices) | catalog | productdata
