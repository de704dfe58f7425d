"""ETIM: the classification release loader (``release``), the mapping (``mapping``), the
classification every ETIM target shares (``classification``), the ``etim-xlsx`` workbook and
the ``etim-xchange`` catalogue. Templates and schemas: ``templates/etim/``."""
