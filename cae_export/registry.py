"""The registry: every output target, listed once, in the default build order, and every
input format ``import`` reads.

A target lives in its format package (``cae_export/formats/<format>/``); adding one is adding
it to this list. The build engine and the commands read the registry; formats never do.
"""

from __future__ import annotations

from cae_export.formats.eclass.target import EclassXlsx
from cae_export.formats.eplan.edz_reader import EdzReader
from cae_export.formats.eplan.edz_target import EdzTarget
from cae_export.formats.eplan.parts_reader import PartsReader
from cae_export.formats.eplan.parts_target import EplanTarget
from cae_export.formats.etim.bmecat import BmecatTarget
from cae_export.formats.etim.bmecat_reader import BmecatReader
from cae_export.formats.etim.workbook_target import EtimXlsx
from cae_export.formats.etim.xchange import EtimXchange
from cae_export.formats.etim.xchange_reader import XchangeReader
from cae_export.formats.markers.target import MarkersTarget
from cae_export.pipeline.reader import Reader
from cae_export.pipeline.target import Target

TARGET_LIST: tuple[type[Target], ...] = (
    EplanTarget, EdzTarget, MarkersTarget, EtimXlsx, EclassXlsx, EtimXchange, BmecatTarget,
)
TARGETS: dict[str, type[Target]] = {target.name: target for target in TARGET_LIST}

# every input format ``import`` reads, asked in this order which one a file is
READER_LIST: tuple[type[Reader], ...] = (EdzReader, PartsReader, XchangeReader, BmecatReader)

__all__ = ["READER_LIST", "TARGETS", "TARGET_LIST"]
