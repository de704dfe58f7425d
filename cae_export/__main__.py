from cae_export.cli import main

raise SystemExit(main())
