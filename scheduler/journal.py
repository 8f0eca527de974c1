"""The sent journal: one line per message Telegram accepted, appended to a
local file the moment the answer arrives, before the database is updated.

The database mark after a send takes a few transactions' time (milliseconds
on an idle machine, tens of milliseconds on a busy one). A ``kill -9`` in that
gap would leave the entry ``sending`` and the next start would send it again.
The journal closes most of the gap: one ``write()`` with no ``await`` between
the parsed answer and it, so the process cannot be stopped in between except
by the kernel; a killed process's writes stay in the page cache and are read
back by the next start, which marks those entries sent instead of sending them
again. What remains is the time between Telegram answering and this process
reading the answer, and losing the machine itself (power) in the seconds
before the page cache is flushed.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)


class SentJournal:
    """Lines ``<entry id> <message id>``; emptied once the database has all."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self._written = 0
        self._committed = 0

    def _open(self) -> int:
        if self._fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        return self._fd

    def record(self, entry_id: int, message_id: int) -> None:
        """Synchronous on purpose: nothing may run between the answer and this."""
        try:
            os.write(self._open(), f"{entry_id} {message_id}\n".encode())
            self._written += 1
        except OSError:
            log.exception("cannot write the sent journal %s", self.path)

    def committed(self) -> None:
        """The database now has one more of the journalled marks."""
        self._committed += 1

    def read(self) -> dict[int, int]:
        """Entry id → message id of everything journalled (a line cut short
        by a crash is ignored)."""
        found: dict[int, int] = {}
        try:
            text = self.path.read_text(encoding="ascii", errors="replace")
        except FileNotFoundError:
            return found
        for line in text.splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit():
                found[int(parts[0])] = int(parts[1])
        return found

    def clear_if_settled(self) -> None:
        """Empty the file when every journalled mark is in the database."""
        if self._written and self._written == self._committed:
            self.clear()

    def clear(self) -> None:
        try:
            os.ftruncate(self._open(), 0)
        except OSError:
            log.exception("cannot empty the sent journal %s", self.path)
            return
        self._written = self._committed = 0

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
