"""``python -m signalpost.cli``."""

from __future__ import annotations

from signalpost.cli import main

raise SystemExit(main())
