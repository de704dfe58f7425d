"""Releases: what changed between two catalog versions (``diff``), change files for receivers
and the cache that makes a rebuild render only what changed."""
