"""The built report as it was at submission (báo cáo như khi nộp): the
``Report`` that ``storage.reports.exports.write_xlsx`` lays out as the plan's
table and the breakdowns, kept as JSON in the period report's frozen figures
(key ``workbook``), so that the export of a submitted report shows the
figures as submitted, in the reader's language, whatever was corrected since.

The encoding follows the dataclasses' own type hints: enums by value, dates in
ISO form, durations in seconds, time zones by name, dicts as ``[key, value]`` pairs (their keys are
enums, dates or ``None``). Nothing beyond what the workbook shows is kept: the
collaborators' Telegram ids and languages are dropped. A frozen report that no
longer decodes (the dataclasses changed since) gives ``None``, and the export
falls back to the live figures with the corrections sheet beside them."""

from __future__ import annotations

import dataclasses
import enum
import logging
import types
import typing
from datetime import date, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from storage.reports.report import Report

log = logging.getLogger(__name__)
VERSION = 1
KEY = "workbook"


def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, ZoneInfo):
        return value.key
    if isinstance(value, dict):
        return [[_encode(k), _encode(v)] for k, v in value.items()]
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"cannot freeze {type(value).__name__}")


@cache
def _hints(kind: type[Any]) -> dict[str, Any]:
    return typing.get_type_hints(kind)


def _decode(kind: Any, data: Any) -> Any:
    origin = typing.get_origin(kind)
    if origin is typing.Union or origin is types.UnionType:
        options = [a for a in typing.get_args(kind) if a is not type(None)]
        if data is None:
            return None
        if len(options) == 1:
            return _decode(options[0], data)
        return data  # int | float
    if origin is list:
        (item,) = typing.get_args(kind)
        return [_decode(item, v) for v in data]
    if origin is dict:
        key, item = typing.get_args(kind)
        return {_decode(key, k): _decode(item, v) for k, v in data}
    if kind is Any:
        return data
    if isinstance(kind, type):
        if dataclasses.is_dataclass(kind):
            hints = _hints(kind)
            return kind(
                **{
                    f.name: _decode(hints[f.name], data[f.name])
                    for f in dataclasses.fields(kind)
                    if f.init and f.name in data
                }
            )
        if issubclass(kind, enum.Enum):
            return kind(data)
        if kind is date:
            return date.fromisoformat(data)
        if kind is timedelta:
            return timedelta(seconds=data)
        if kind is ZoneInfo:
            return ZoneInfo(data)
        if kind is float and isinstance(data, int | float):
            return float(data)
        if isinstance(data, kind):
            return data
    raise TypeError(f"cannot thaw {kind!r} from {type(data).__name__}")


def freeze(report: Report) -> dict[str, Any]:
    """The report as JSON, without what the workbook does not show."""
    done = report.completeness
    kept = dataclasses.replace(
        done,
        collaborators=[
            dataclasses.replace(c, telegram_id=0, language=None) for c in done.collaborators
        ],
    )
    return {"version": VERSION, "report": _encode(dataclasses.replace(report, completeness=kept))}


def thaw(figures: dict[str, Any] | None) -> Report | None:
    """The frozen report of a period report's figures, or None (none kept,
    or kept by an older layout)."""
    kept = (figures or {}).get(KEY)
    if not isinstance(kept, dict) or kept.get("version") != VERSION:
        return None
    try:
        found = _decode(Report, kept["report"])
    except (KeyError, TypeError, ValueError) as error:
        log.warning("a frozen report no longer decodes: %s", error)
        return None
    return found if isinstance(found, Report) else None
