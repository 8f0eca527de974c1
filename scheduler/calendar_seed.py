"""The national calendar of DOMAIN.md, written to the database on first start
(and any event missing later is added; existing rows are never changed, so a
coordinator's changes stay). Titles are message ids, translated when shown."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from storage import calendar
from storage.models.calendar import EventKind


def N_(message: str) -> str:
    """Mark a message id for extraction without translating it."""
    return message


@dataclass(frozen=True)
class Seed:
    code: str
    kind: EventKind
    title: str
    start: tuple[int, int]  # (month, day)
    end: tuple[int, int] | None = None


NATIONAL_CALENDAR: tuple[Seed, ...] = (
    Seed("womens_day", EventKind.DAY, N_("International Women's Day"), (3, 8)),
    # Seed 001 asks for activities on the International Day of Happiness.
    Seed("happiness_day", EventKind.DAY, N_("International Day of Happiness"), (3, 20)),
    Seed(
        "children_month", EventKind.ACTION_MONTH, N_("Action Month for Children"), (6, 1), (6, 30)
    ),
    Seed(
        "dv_prevention_month",
        EventKind.ACTION_MONTH,
        N_("National Action Month on Domestic Violence Prevention"),
        (6, 1),
        (6, 30),
    ),
    Seed("family_day", EventKind.DAY, N_("Vietnamese Family Day"), (6, 28)),
    Seed(
        "anti_trafficking_day",
        EventKind.DAY,
        N_("National Day against Human Trafficking"),
        (7, 30),
    ),
    Seed("girl_child_day", EventKind.DAY, N_("International Day of the Girl Child"), (10, 11)),
    Seed("vn_womens_day", EventKind.DAY, N_("Vietnamese Women's Day"), (10, 20)),
    Seed("law_day", EventKind.DAY, N_("Vietnam Law Day"), (11, 9)),
    Seed(
        "gender_equality_month",
        EventKind.ACTION_MONTH,
        N_("Action Month for Gender Equality and Prevention of Gender-Based Violence"),
        (11, 15),
        (12, 15),
    ),
    Seed(
        "evaw_day",
        EventKind.DAY,
        N_("International Day for the Elimination of Violence against Women"),
        (11, 25),
    ),
    Seed("report_half_year", EventKind.DEADLINE, N_("Six-month report"), (6, 5)),
    Seed("report_annual", EventKind.DEADLINE, N_("Annual report"), (12, 5)),
)


async def seed_calendar(session: AsyncSession) -> int:
    """Add the national events that are not in the database yet."""
    added = 0
    for seed in NATIONAL_CALENDAR:
        added += await calendar.seed_event(
            session, seed.code, seed.kind, seed.title, seed.start, seed.end
        )
    return added
