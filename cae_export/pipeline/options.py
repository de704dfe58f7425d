"""The settings of one build, shared by every target (picklable: workers receive them)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ChangeSet:
    """A build of change files (``--changes-since OLD``): what changed since OLD, by item
    number. The records of OLD that are gone follow the new catalog's records through the
    build; the targets with a change form write only these, the others skip them."""

    added: frozenset[str]
    changed: frozenset[str]
    removed: frozenset[str]
    old: str                               # OLD as the user named it
    xchange_reference: str | None = None   # OLD's xChange catalogue id (its full file's)

    def wanted(self, item_number: str) -> bool:
        return item_number in self.added or item_number in self.changed

    def mode(self, item_number: str) -> str:
        """new | update | delete, as BMEcat's T_UPDATE_PRODUCTS names the change."""
        if item_number in self.removed:
            return "delete"
        return "new" if item_number in self.added else "update"


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
    changes: ChangeSet | None = None       # change files since an older catalog
    clean: bool = False                    # render every record afresh (ignore the cache)
    dask_scheduler: str | None = None      # tcp://HOST:PORT or local:N: records on Dask
