"""Registers as CSV (UTF-8), one line per entry, for the CLI and /registers:

    kind,place,name,shelters,equipment,members,events
    clb,21115,CLB trường THCS Trà Bồng,,,"truong: Hồ Thị A; dan-trinh; thanh-vien","thanh-lap 15/03/2024"
    dctc,21115,Nhà chị B,co,,"truong: Nguyễn Thị B","thanh-lap 01/02/2023; cung-co 10/05/2024"

``kind``: to-truyen-thong, clb, sinh-ke, dctc (or the English value); ``place``:
the unit code of a commune or village; ``shelters`` (a trusted address that
also takes people in): co / x / 1 / yes; ``members``: ``ROLE[: NAME]`` separated
by ``;`` (truong, pho, dan-trinh, thanh-vien, tinh-nguyen); ``events``: ``CODE
DATE[: note]`` separated by ``;`` (thanh-lap, cung-co, ho-tro, tam-ngung,
hoat-dong-lai, giai-the; dates 15/03/2024 or 2024-03-15); ``address`` (a
trusted address only, optional): its row in the directory, the ``id`` of
``binhdang addresses export`` (empty keeps the entry's link as it is). A line
with the same kind, place and name as an entry updates it. All lines or none."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Unit
from storage.models.registers import (
    EVENT_CODES,
    REGISTER_CODES,
    ROLE_CODES,
    MemberRole,
    RegisterEvent,
    RegisterKind,
)
from storage.registers.records import (
    EntryInput,
    EventInput,
    Member,
    RegisterError,
    area_for,
    entries_under,
    save,
)
from storage.reports.areas import Area
from storage.text import defused, fold, restored
from storage.users import Profile

COLUMNS = ("kind", "place", "name", "shelters", "equipment", "members", "events", "address")
MAX_ROWS = 5000
_YES = {"co", "x", "1", "yes", "true", "y"}
_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})|(\d{4})-(\d{1,2})-(\d{1,2})")


class RegisterImportError(RegisterError):
    """A line the import refuses; nothing was imported."""

    def __init__(self, code: str, line: int, detail: str = "") -> None:
        super().__init__(code, detail)
        self.line = line


@dataclass
class Imported:
    created: int = 0
    updated: int = 0


def _by_code(codes: dict[Any, str]) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for member, code in codes.items():
        table[fold(code)] = member
        table[fold(member.value)] = member
    return table


_KINDS: dict[str, RegisterKind] = _by_code(REGISTER_CODES)
_EVENTS: dict[str, RegisterEvent] = _by_code(EVENT_CODES)
_ROLES: dict[str, MemberRole] = _by_code(ROLE_CODES)


def _day(text: str) -> date:
    match = _DATE.fullmatch(text.strip())
    if match is None:
        raise RegisterError("bad_date", text.strip()[:40])
    day, month, year = (
        (match[1], match[2], match[3]) if match[1] else (match[6], match[5], match[4])
    )
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        raise RegisterError("bad_date", text.strip()[:40]) from None


def parse_members(text: str) -> list[Member]:
    found = []
    for part in text.split(";"):
        if not part.strip():
            continue
        role_text, _, name = part.partition(":")
        role = _ROLES.get(fold(role_text))
        if role is None:
            raise RegisterError("unknown_role", role_text.strip()[:40])
        found.append(Member(role=role, name=name.strip() or None))
    return found


def parse_events(text: str) -> list[EventInput]:
    found = []
    for part in text.split(";"):
        if not part.strip():
            continue
        head, _, note = part.partition(":")
        code, _, day = head.strip().partition(" ")
        event = _EVENTS.get(fold(code))
        if event is None:
            raise RegisterError("unknown_event", code.strip()[:40])
        found.append(EventInput(event=event, on=_day(day), note=note.strip() or None))
    return found


def _address(text: str) -> int | None:
    """The directory row's id (``12``, or ``#12``); empty: none given."""
    cleaned = text.strip().lstrip("#")
    if not cleaned:
        return None
    if not cleaned.isdigit() or len(cleaned) > 9 or int(cleaned) == 0:
        raise RegisterError("unknown_address", text.strip()[:40])
    return int(cleaned)


async def read_rows(session: AsyncSession, text: str) -> list[tuple[int, EntryInput]]:
    """Every line checked; the first wrong one raises with its line number."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in ("kind", "place", "name") if c not in header]
    if missing:
        raise RegisterImportError("header", 1, ", ".join(missing))
    rows: list[tuple[int, EntryInput]] = []
    for number, raw in enumerate(reader, start=2):
        if number - 1 > MAX_ROWS:
            raise RegisterImportError("too_many_rows", number, str(MAX_ROWS))
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        if not any(row.values()):
            continue
        try:
            kind = _KINDS.get(fold(row.get("kind", "")))
            if kind is None:
                raise RegisterError("unknown_kind", row.get("kind", "")[:40])
            unit_id = await session.scalar(select(Unit.id).where(Unit.code == row["place"]))
            if unit_id is None:
                raise RegisterError("unknown_place", row["place"][:40])
            data = EntryInput(
                kind=kind,
                unit_id=unit_id,
                name=restored(row.get("name", "")),
                shelters=fold(row.get("shelters", "")) in _YES,
                equipment=restored(row.get("equipment", "")) or None,
                members=parse_members(row.get("members", "")),
                events=parse_events(row.get("events", "")),
                address_id=_address(row.get("address", "")),
            )
        except RegisterError as error:
            raise RegisterImportError(error.code, number, error.detail) from None
        except ValidationError as error:
            field = str((error.errors()[0].get("loc") or ("name",))[0])
            raise RegisterImportError("invalid", number, field) from None
        rows.append((number, data))
    return rows


async def import_csv(
    session: AsyncSession, actor: Profile | None, text: str, now: datetime
) -> Imported:
    """All lines or none (the caller's transaction is rolled back on error)."""
    done = Imported()
    for number, data in await read_rows(session, text):
        try:
            saved = await save(session, actor, data, now)
        except RegisterError as error:
            raise RegisterImportError(error.code, number, error.detail) from None
        if saved.created:
            done.created += 1
        else:
            done.updated += 1
    return done


async def export_for(
    session: AsyncSession, actor: Profile | None, unit_id: int | None = None
) -> tuple[Area, str]:
    """The CSV of the registers the actor may read (``records.area_for``:
    raises ``RegisterRefused`` otherwise)."""
    area = await area_for(session, actor, unit_id)
    return area, await export_csv(session, area)


async def export_csv(session: AsyncSession, area: Area) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for entry in await entries_under(session, area):
        writer.writerow(
            [
                REGISTER_CODES[entry.kind],
                entry.place_code,
                defused(entry.name),
                "co" if entry.shelters else "",
                defused(entry.equipment or ""),
                "; ".join(
                    ROLE_CODES[role] + (f": {name}" if name else "") for role, name in entry.members
                ),
                "; ".join(
                    f"{EVENT_CODES[event]} {on.strftime('%d/%m/%Y')}"
                    + (f": {note}" if note else "")
                    for event, on, note in entry.events
                ),
                "" if entry.address_id is None else str(entry.address_id),
            ]
        )
    return out.getvalue()
