"""``binhdang committees import|export FILE``: each commune's People's
Committee contact (for the Art. 36 notice) as CSV, with the columns
``commune_code,name,phone,email,address`` (``commune_code``: the national
statistics code of the commune, as in ``units.code``). An import checks
every row first; if one is wrong, nothing is imported. Text is written as
data, never as a formula (``storage.text.defused``)."""

from __future__ import annotations

import csv
from datetime import datetime
from typing import TextIO

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.incidents.art36 import (
    MAX_ADDRESS,
    MAX_EMAIL,
    MAX_NAME,
    MAX_PHONE,
    CommitteeData,
    refused_as_formula,
    set_committee,
)
from storage.models import CommuneCommittee, Unit, UnitLevel
from storage.text import defused, restored

COLUMNS = ("commune_code", "name", "phone", "email", "address")
LIMITS = {"name": MAX_NAME, "phone": MAX_PHONE, "email": MAX_EMAIL, "address": MAX_ADDRESS}


class CommitteeCsvErrors(ValueError):
    """Every wrong row, by line number."""

    def __init__(self, errors: list[tuple[int, str]]) -> None:
        super().__init__("\n".join(f"line {line}: {problem}" for line, problem in errors))
        self.errors = errors


async def import_csv(session: AsyncSession, stream: TextIO, now: datetime) -> int:
    """Set the contacts of the communes listed; returns how many."""
    reader = csv.DictReader(stream)
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise CommitteeCsvErrors([(1, f"missing columns: {', '.join(missing)}")])
    rows: list[tuple[int, CommitteeData]] = []
    errors: list[tuple[int, str]] = []
    for line, row in enumerate(reader, start=2):
        code = (row.get("commune_code") or "").strip()
        unit_id = await session.scalar(
            select(Unit.id).where(Unit.code == code, Unit.level == UnitLevel.COMMUNE)
        )
        if unit_id is None:
            errors.append((line, f"no commune has the code {code!r}"))
            continue
        values = {k: restored((row.get(k) or "").strip()) for k in LIMITS}
        too_long = [k for k, limit in LIMITS.items() if len(values[k]) > limit]
        if too_long:
            errors.append((line, f"too long: {', '.join(too_long)}"))
            continue
        formulas = [k for k in LIMITS if refused_as_formula(k, values[k])]
        if formulas:
            errors.append((line, f"starts like a formula: {', '.join(formulas)}"))
            continue
        rows.append((unit_id, CommitteeData(**values)))
    if errors:
        raise CommitteeCsvErrors(errors)
    for unit_id, data in rows:
        await set_committee(session, None, unit_id, data, now)
    return len(rows)


async def export_csv(session: AsyncSession, stream: TextIO) -> int:
    writer = csv.writer(stream)
    writer.writerow(COLUMNS)
    rows = await session.execute(
        select(Unit.code, CommuneCommittee)
        .join(CommuneCommittee, CommuneCommittee.unit_id == Unit.id)
        .order_by(Unit.code)
    )
    count = 0
    for code, row in rows.all():
        writer.writerow(
            [code, *(defused(v) for v in (row.name, row.phone, row.email, row.address))]
        )
        count += 1
    return count
