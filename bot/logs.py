"""Logs that hold no report text and no reporter identity, at any level.

Libraries log what passes through them: at DEBUG, PTB's ``ExtBot`` writes
the parameters of every Bot API call (the texts of a report, a phone number,
names), ``Application`` the whole update, SQLAlchemy the bound parameters of
each statement, aiosqlite the calls it runs. A filter on a handler would miss
the handlers other code adds (pytest's ``caplog``, a syslog handler), so the
redaction is done once, where records are made (:func:`install` wraps the
log record factory):

- a record of a library (any logger outside this project's packages) keeps
  its message template and only the arguments that cannot carry text: numbers,
  booleans, lists of numbers (update ids), and Bot API method names
  (``sendMessage``); every other argument becomes ``<TypeName>``. The message
  is capped at :data:`MAX_MESSAGE` characters;
- the bot token is removed from every message (httpx logs request URLs);
- an exception's text is rebuilt: the stack as usual, and each message with
  SQL parameters and pydantic's ``input_value`` withheld, capped.

Our own modules log ids and counts only, never what a user typed.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Callable
from types import TracebackType
from typing import Any

OWN = ("bot", "handlers", "storage", "scheduler", "web", "__main__")
# Libraries that never see what users send: their arguments are kept.
TRUSTED = ("alembic",)
MAX_MESSAGE = 300
MAX_EXCEPTION = 200
_METHOD = re.compile(r"^[a-z]+(?:[A-Z][a-z]+)+$")  # a Bot API method: sendMessage
_TOKEN = re.compile(r"\d{3,}:[A-Za-z0-9_-]{20,}")
_PARAMETERS = re.compile(r"\[parameters: .*?\](?=\n|$)", re.DOTALL)
_INPUT_VALUE = re.compile(r"input_value=.*?(?=, input_type=|\]$|$)", re.MULTILINE)
_INSTALLED = "_binhdang_redacting"

Factory = Callable[..., logging.LogRecord]


def is_own(name: str) -> bool:
    return name.split(".", 1)[0] in OWN + TRUSTED


def _safe_arg(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str) and _METHOD.match(value) and len(value) <= 40:
        return value
    if isinstance(value, list | tuple) and all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        return value
    return f"<{type(value).__name__}>"


def redact_text(text: str) -> str:
    """What no log line may hold, whoever wrote it: the bot token, SQL
    parameters, pydantic's echo of the input."""
    text = _TOKEN.sub("<token>", text)
    text = _PARAMETERS.sub("[parameters withheld]", text)
    return _INPUT_VALUE.sub("input_value=<withheld>", text)


def exception_text(
    exc_info: tuple[type[BaseException], BaseException, TracebackType | None],
) -> str:
    """The traceback as ``logging`` would print it, with each exception's
    message redacted and capped."""
    _, exc, _ = exc_info
    lines = traceback.format_exception(exc)
    out = []
    for line in lines:
        if line.startswith("  ") or line.startswith("Traceback ") or not line.strip():
            out.append(line)
            continue
        cleaned = redact_text(line.rstrip("\n"))
        if len(cleaned) > MAX_EXCEPTION:
            cleaned = cleaned[:MAX_EXCEPTION] + "…"
        out.append(cleaned + "\n")
    return "".join(out).rstrip("\n")


def redact(record: logging.LogRecord) -> logging.LogRecord:
    """Make one record safe to emit (see the module's docstring)."""
    if not is_own(record.name):
        if record.args:
            if isinstance(record.args, dict):
                record.args = {k: _safe_arg(v) for k, v in record.args.items()}
            else:
                record.args = tuple(_safe_arg(a) for a in record.args)
        if not isinstance(record.msg, str):
            record.msg = f"<{type(record.msg).__name__}>"
        elif len(record.msg) > MAX_MESSAGE:
            record.msg = record.msg[:MAX_MESSAGE] + "…"
    if isinstance(record.msg, str):
        record.msg = redact_text(record.msg)
    try:
        record.getMessage()
    except (TypeError, ValueError):  # a %d given what was redacted
        record.msg, record.args = f"{record.msg} {record.args!r}", ()
    if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
        record.exc_text = exception_text(record.exc_info)
    return record


def install() -> None:
    """Redact every log record from now on, in this process. Idempotent."""
    current = logging.getLogRecordFactory()
    if getattr(current, _INSTALLED, False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return redact(current(*args, **kwargs))

    setattr(factory, _INSTALLED, True)
    logging.setLogRecordFactory(factory)
