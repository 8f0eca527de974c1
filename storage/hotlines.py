"""Hotlines (đường dây nóng): the national numbers, kept as data.

The table is seeded from ``storage/data/hotlines.csv`` the first time it is
read empty, and can be replaced from a CSV of the same form
(``binhdang hotlines import|export FILE``). Columns: ``number``, ``role``
(``police``, ``child``... what the bot uses it for), and one
``description_<lang>`` per language; a language without its own column is
shown the Vietnamese description."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TextIO

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Hotline
from storage.trusted_addresses.phones import normalise_phone

SEED = Path(__file__).resolve().parent / "data" / "hotlines.csv"
FALLBACK_LANGUAGE = "vi"
MAX_DESCRIPTION = 300
POLICE, CHILD = "police", "child"


class HotlineErrors(ValueError):
    def __init__(self, errors: list[tuple[int, str]]) -> None:
        super().__init__("\n".join(f"line {line}: {message}" for line, message in errors))
        self.errors = errors


@dataclass(frozen=True)
class HotlineView:
    number: str
    role: str
    descriptions: dict[str, str]

    def description(self, language: str | None) -> str:
        for lang in (language, FALLBACK_LANGUAGE, "en"):
            if lang and self.descriptions.get(lang):
                return self.descriptions[lang]
        return next(iter(self.descriptions.values()), "")


def read_csv(stream: TextIO) -> list[HotlineView]:
    """Parse a hotline CSV, reporting every wrong line."""
    reader = csv.DictReader(stream)
    columns = reader.fieldnames or []
    languages = [c.removeprefix("description_") for c in columns if c.startswith("description_")]
    errors: list[tuple[int, str]] = []
    if "number" not in columns or not languages:
        raise HotlineErrors([(1, "columns needed: number, role, description_vi (and more)")])
    found: list[HotlineView] = []
    start = reader.line_num + 1
    for row in reader:
        line, start = start, reader.line_num + 1
        number = normalise_phone(row.get("number") or "")
        descriptions = {
            lang: " ".join((row.get(f"description_{lang}") or "").split()) for lang in languages
        }
        descriptions = {k: v for k, v in descriptions.items() if v}
        if number is None:
            errors.append((line, f"not a phone number: {row.get('number')!r}"))
        elif any(h.number == number for h in found):
            errors.append((line, f"{number} is listed twice"))
        if not descriptions:
            errors.append((line, "no description"))
        if any(len(d) > MAX_DESCRIPTION for d in descriptions.values()):
            errors.append((line, f"a description has more than {MAX_DESCRIPTION} characters"))
        if number is not None:
            role = (row.get("role") or "").strip().lower()[:32]
            found.append(HotlineView(number, role, descriptions))
    if errors:
        raise HotlineErrors(errors)
    return found


async def replace_all(session: AsyncSession, hotlines: list[HotlineView], now: datetime) -> int:
    """Make the table hold exactly these hotlines, in this order. Numbers no
    longer listed are deactivated, not deleted."""
    existing = {h.number: h for h in (await session.scalars(select(Hotline))).all()}
    for position, view in enumerate(hotlines):
        row = existing.pop(view.number, None)
        if row is None:
            row = Hotline(number=view.number)
            session.add(row)
        row.role, row.position, row.descriptions = view.role, position, dict(view.descriptions)
        row.active, row.updated_at = True, now
    for row in existing.values():
        row.active, row.updated_at = False, now
    await session.flush()
    return len(hotlines)


async def ensure_seeded(session: AsyncSession, now: datetime) -> bool:
    """Load the seed file if the table is empty; whether it did."""
    if await session.scalar(select(func.count()).select_from(Hotline)):
        return False
    with SEED.open(encoding="utf-8") as fp:
        await replace_all(session, read_csv(fp), now)
    return True


async def listing(session: AsyncSession) -> list[HotlineView]:
    """The active hotlines in their order."""
    rows = await session.scalars(
        select(Hotline).where(Hotline.active.is_(True)).order_by(Hotline.position, Hotline.id)
    )
    return [HotlineView(h.number, h.role, dict(h.descriptions or {})) for h in rows.all()]


async def by_role(session: AsyncSession, role: str) -> HotlineView | None:
    return next((h for h in await listing(session) if h.role == role), None)


async def export_csv(session: AsyncSession, stream: TextIO) -> int:
    found = await listing(session)
    languages = sorted({lang for h in found for lang in h.descriptions}, key=lambda c: c != "vi")
    writer = csv.writer(stream)
    writer.writerow(["number", "role", *(f"description_{lang}" for lang in languages)])
    for h in found:
        writer.writerow([h.number, h.role, *(h.descriptions.get(lang, "") for lang in languages)])
    return len(found)
