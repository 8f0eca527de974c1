"""One Chromium for the browser tests: Debian's (/usr/bin/chromium), driven by
Playwright; Playwright's own browser download cannot work here. Without it
the tests are skipped, except under CI=true where that fails the run."""

from __future__ import annotations

import os
from pathlib import Path

CHROMIUM = Path(os.environ.get("BINHDANG_CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing() -> str | None:
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]')"
    if not CHROMIUM.exists():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    return None
