"""One package per format: its model, writer(s) and reader, its mapping data (YAML beside the
code), with its templates and schemas in ``templates/<format>/``. A format imports the
foundation (``cae_export.core``), the record and the build engine, never another format."""
