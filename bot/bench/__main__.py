from bot.bench import main

raise SystemExit(main())
