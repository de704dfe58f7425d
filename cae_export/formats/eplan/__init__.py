"""EPLAN: the part model (``model``), rendering and checking parts-management XML (``xml``),
EDZ packages (``edz``), the part view both targets share (``view``), the ``eplan`` and ``edz``
targets, and the checks ``cae-export validate`` runs on files from anywhere (``validate``).
The mapping tables are ``mapping.yaml``; templates and schemas ``templates/eplan/``."""
