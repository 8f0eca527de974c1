"""The directory as CSV (``binhdang addresses import|export FILE``).

Columns: ``id`` (empty for a new entry), ``name``, ``places`` (unit codes
separated by ``;``: communes such as ``21115`` or villages such as
``21115-003``), ``address``, ``phones`` (``;``), ``hours`` (see
``storage.trusted_addresses.hours``), ``services`` (``shelter``,
``counselling``, ``medical``, ``legal``, ``mediation``; ``;``), ``staff``
(Telegram user ids of registered trusted-address staff; ``;``), ``latitude``,
``longitude``, ``active`` (``yes``/``no``). Export adds ``place_names`` to
help the reader; import ignores it.

An import checks every row first. If any row is wrong, nothing is imported
and every error is reported with its line number."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TextIO

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import trusted_addresses as directory
from storage.models import AddressService, TrustedAddress, Unit, User
from storage.text import defused, restored

COLUMNS = (
    "id",
    "name",
    "places",
    "place_names",
    "address",
    "phones",
    "hours",
    "services",
    "staff",
    "latitude",
    "longitude",
    "active",
)
REQUIRED = ("name", "places")
_YES = {"yes", "y", "1", "true", "có", "co", "x"}
_NO = {"no", "n", "0", "false", "không", "khong", ""}
MAX_ROWS = 20_000


class CsvErrors(ValueError):
    """Rows that cannot be imported, as ``(line, message)``."""

    def __init__(self, errors: list[tuple[int, str]]) -> None:
        super().__init__("\n".join(f"line {line}: {message}" for line, message in errors))
        self.errors = errors


@dataclass(frozen=True)
class Imported:
    created: int
    updated: int


def _split(value: str | None) -> list[str]:
    return [p.strip() for p in (value or "").replace(",", ";").split(";") if p.strip()]


def _number(value: str | None, what: str, problems: list[str]) -> float | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        problems.append(f"{what} is not a number: {text!r}")
        return None


_MESSAGES = {
    "name": "the name is empty or longer than 200 characters",
    "address": "the address is longer than 300 characters",
    "phone": "not a phone number: {detail!r}",
    "phones": "at most {detail} phone numbers",
    "hours": "opening hours not understood: {detail!r} (example: 'mon-fri 07:30-17:00; sat 07:30-11:30' or '24/7')",
    "no_units": "no place: give at least one commune or village code in 'places'",
    "units": "at most {detail} places",
    "unit": "not a commune or village",
    "staff_count": "at most {detail} staff",
    "staff": "Telegram user {detail} is not registered as trusted-address staff",
    "location": "latitude and longitude must both be given, within range",
}


async def _row_data(
    session: AsyncSession, row: dict[str, str | None], problems: list[str]
) -> tuple[int | None, directory.AddressData]:
    raw_id = (row.get("id") or "").strip()
    address_id = None
    if raw_id:
        if raw_id.isdigit() and await session.get(TrustedAddress, int(raw_id)) is not None:
            address_id = int(raw_id)
        else:
            problems.append(f"no entry with id {raw_id!r}; leave 'id' empty to add one")
    unit_ids = []
    for code in _split(row.get("places")):
        unit_id = await session.scalar(select(Unit.id).where(Unit.code == code))
        if unit_id is None:
            problems.append(f"unknown place code {code!r}")
        else:
            unit_ids.append(unit_id)
    services = []
    for value in _split(row.get("services")):
        try:
            services.append(AddressService(value.lower()))
        except ValueError:
            problems.append(f"unknown service {value!r}")
    staff_ids = []
    for value in _split(row.get("staff")):
        user_id = (
            await session.scalar(select(User.id).where(User.telegram_id == int(value)))
            if value.isdigit()
            else None
        )
        if user_id is None:
            problems.append(f"Telegram user {value!r} has not registered with the bot")
        else:
            staff_ids.append(user_id)
    active_text = (row.get("active") or "yes").strip().lower()
    if active_text not in _YES | _NO:
        problems.append(f"'active' is yes or no, not {active_text!r}")
    data = directory.AddressData(
        name=row.get("name") or "",
        unit_ids=unit_ids,
        address=row.get("address") or "",
        phones=_split(row.get("phones")),
        hours=row.get("hours") or "",
        services=services,
        staff_ids=staff_ids,
        latitude=_number(row.get("latitude"), "latitude", problems),
        longitude=_number(row.get("longitude"), "longitude", problems),
        active=active_text in _YES,
    )
    return address_id, data


async def import_csv(session: AsyncSession, stream: TextIO, now: datetime) -> Imported:
    """Add or update every row, or nothing (:class:`CsvErrors`)."""
    reader = csv.DictReader(stream)
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or ())]
    if missing:
        raise CsvErrors([(1, f"missing column(s): {', '.join(missing)}")])
    errors: list[tuple[int, str]] = []
    rows: list[tuple[int | None, directory.AddressData]] = []
    start = reader.line_num + 1
    for raw in reader:
        line, start = start, reader.line_num + 1
        row = {k: restored(v) if isinstance(v, str) else v for k, v in raw.items()}
        if len(rows) >= MAX_ROWS:
            errors.append((line, f"more than {MAX_ROWS} rows"))
            break
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue
        problems: list[str] = []
        address_id, data = await _row_data(session, row, problems)
        if not problems:
            try:
                data = await directory.check(session, data)
            except directory.InvalidAddress as exc:
                problems += [_MESSAGES[c].format(detail=d) for c, d in exc.problems]
        errors += [(line, p) for p in problems]
        rows.append((address_id, data))
    if errors:
        raise CsvErrors(errors)
    created = updated = 0
    for address_id, data in rows:
        if address_id is None:
            await directory.create(session, None, data, now)
            created += 1
        else:
            await directory.update(session, None, address_id, data, now)
            updated += 1
    return Imported(created, updated)


def _cell(values: Iterable[str]) -> str:
    return ";".join(values)


async def export_csv(session: AsyncSession, stream: TextIO) -> int:
    """Write every entry, active or not; returns how many."""
    entries = (await session.scalars(select(TrustedAddress).order_by(TrustedAddress.id))).all()
    writer = csv.writer(stream)
    writer.writerow(COLUMNS)
    for view in await directory.views(session, entries):
        writer.writerow(
            [
                view.id,
                defused(view.name),
                _cell(u.code for u in view.units),
                defused(_cell(u.name for u in view.units)),
                defused(view.address),
                defused(_cell(view.phones)),
                defused(view.hours),
                _cell(s.value for s in view.services),
                _cell(str(s.telegram_id) for s in view.staff),
                "" if view.latitude is None else repr(view.latitude),
                "" if view.longitude is None else repr(view.longitude),
                "yes" if view.active else "no",
            ]
        )
    return len(entries)
