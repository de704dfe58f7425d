"""ECLASS: the property mapping (``mapping``, data in ``mapping.yaml``) and the ``eclass-xlsx``
workbook. Sheet layout: ``templates/eclass/``."""
