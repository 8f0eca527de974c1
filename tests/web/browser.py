"""One Chromium for the browser tests: Debian's (/usr/bin/chromium), driven by
Playwright; Playwright's own browser download cannot work here. Without it
the tests are skipped, except under CI=true where that fails the run."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

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
# Playwright's default is 30 s for everything. A step takes well under a
# second, but on a loaded 2-core CI machine Chromium's first start (from a
# cold disk, just installed) and a page's first load took far longer: a
# slow step is not what these tests are about, a wrong page is.
LAUNCH_TIMEOUT_MS = 180_000
STEP_TIMEOUT_MS = 90_000


async def new_context(browser: Any, **options: Any) -> Any:
    """A browser context whose waits and navigations use STEP_TIMEOUT_MS."""
    context = await browser.new_context(**options)
    context.set_default_timeout(STEP_TIMEOUT_MS)
    context.set_default_navigation_timeout(STEP_TIMEOUT_MS)
    return context


def missing() -> str | None:
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]')"
    if not CHROMIUM.exists():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    return None
