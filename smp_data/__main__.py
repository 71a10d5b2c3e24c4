from smp_data.cli import main

raise SystemExit(main())
