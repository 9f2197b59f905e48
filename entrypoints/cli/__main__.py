"""``python -m entrypoints.cli``: the ``scoreline`` command."""

from entrypoints.cli import main

raise SystemExit(main())
