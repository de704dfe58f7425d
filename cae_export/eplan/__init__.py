"""EPLAN parts-management XML and EDZ packages: the part model, rendering and validation
shared by the ``eplan`` and ``edz`` targets and the ``validate`` command."""
