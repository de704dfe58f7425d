"""Markers for placed parts: job files in, marker lists (CSV/XLSX) and printable sheets out.

``job`` reads marking jobs (CSV or YAML), ``generate`` makes one marker per pole and
consolidates them, ``cards`` holds the card geometry table, ``layout`` places markers on cards
and pages, ``pdf``/``svg`` draw the sheet and ``output`` writes and validates all four files.
"""

from __future__ import annotations

from cae_export.formats.markers.cards import Card, CardLayout, CardTable
from cae_export.formats.markers.generate import Marker, consolidate, job_markers, part_markers
from cae_export.formats.markers.job import Job, PlacedPart, read_job
from cae_export.formats.markers.run import run_jobs

__all__ = ["Card", "CardLayout", "CardTable", "Job", "Marker", "PlacedPart", "consolidate",
           "job_markers", "part_markers", "read_job", "run_jobs"]
