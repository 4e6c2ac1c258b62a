from rolodex.cli import main

raise SystemExit(main())
