"""Seed 004's indicator table as the bot computes it for a generated year of
Xã Trà Bồng (Quảng Ngãi), 2024: the targets of the plan imported as CSV
(``storage.reports.targets.SEED_004_CSV``), a year of activities, registers
and intakes made with a fixed random seed, and the XLSX "Targets" sheet read
back. Not a timing benchmark: it prints the table, then one JSON line.

    .venv/bin/python bench/seed004_year.py [--seed 4]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import random
import sys
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import openpyxl  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncSession  # noqa: E402

from bot.i18n import translator  # noqa: E402
from storage import migrate, registers, units  # noqa: E402
from storage.db import make_engine, make_sessionmaker  # noqa: E402
from storage.models import (  # noqa: E402
    Activity,
    ActivityKind,
    ActivityTopic,
    RegisterEvent,
    RegisterKind,
    Role,
    SessionLanguage,
    Topic,
    TrainingAudience,
    Unit,
    User,
    UserStatus,
)
from storage.reports import areas, exports, targets  # noqa: E402
from storage.reports.periods import year_period  # noqa: E402
from storage.reports.report import build_report  # noqa: E402
from storage.users import profile_of  # noqa: E402

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
YEAR = 2024
POPULATION = 600  # women of the villages with high home-birth rates (the plan gives none)
NOW = datetime(YEAR, 12, 31, 10, tzinfo=UTC)


def _day(rng: random.Random) -> date:
    return date(YEAR, 1, 1) + timedelta(days=rng.randrange(366))


async def generate(session: AsyncSession, commune: Unit, seed: int = 4) -> dict[str, Any]:
    """A year of work in the commune: six villages, a collaborator in each,
    sessions of every kind the plan counts, its registers. Returns what was
    made, to check the table against."""
    rng = random.Random(seed)
    villages = [await units.add_village(session, commune, f"Thôn {n}") for n in range(1, 7)]
    people = []
    for n, village in enumerate(villages):
        user = User(
            telegram_id=900_000 + n,
            display_name=f"CTV {n + 1}",
            language="vi",
            role=Role.COLLABORATOR,
            unit_id=village.id,
            status=UserStatus.ACTIVE,
            bot_blocked=False,
            created_at=datetime(YEAR - 1, 12, 1, tzinfo=UTC),
        )
        session.add(user)
        people.append(user)
    chief = User(
        telegram_id=900_100,
        display_name="Cán bộ xã",
        language="vi",
        role=Role.COMMUNE_COORDINATOR,
        unit_id=commune.id,
        status=UserStatus.ACTIVE,
        bot_blocked=False,
        created_at=datetime(YEAR - 1, 12, 1, tzinfo=UTC),
    )
    session.add(chief)
    await session.flush()
    made = {"dialogues": 0, "supervision": 0, "programme3": 0, "home_birth_women": 0}
    rows = []

    def add(
        kind: ActivityKind,
        women: int,
        men: int,
        topic: Topic,
        note: str | None = None,
        audience: TrainingAudience | None = None,
    ) -> None:
        n = rng.randrange(len(villages))
        row = Activity(
            unit_id=villages[n].id,
            reporter_id=people[n].id,
            kind=kind,
            held_on=_day(rng),
            total=women + men,
            women=women,
            men=men,
            girls=0,
            boys=0,
            ethnic_minority=(women + men) * 9 // 10,
            language=SessionLanguage.BOTH,
            ethnic_language="Cor",
            note=note,
            photo_file_ids=[],
            audience=audience,
            idempotency_key=f"gen-{len(rows)}",
            deleted=False,
            created_at=NOW,
            updated_at=NOW,
        )
        row.topic_links = [ActivityTopic(topic=topic)]
        rows.append(row)

    for _ in range(rng.randint(14, 19)):
        add(
            ActivityKind.POLICY_DIALOGUE,
            rng.randint(15, 40),
            rng.randint(5, 20),
            Topic.GENDER_EQUALITY,
        )
        made["dialogues"] += 1
    for _ in range(rng.randint(1, 2)):
        add(
            ActivityKind.TRAINING,
            12,
            13,
            Topic.GENDER_EQUALITY,
            "Tập huấn giám sát và đánh giá bình đẳng giới",
            TrainingAudience.VILLAGE_HEADS,
        )
        made["supervision"] += 1
    for _ in range(rng.randint(2, 4)):
        add(
            ActivityKind.TRAINING,
            10,
            15,
            Topic.GENDER_EQUALITY,
            "Lồng ghép giới - Chương trình 3",
            TrainingAudience.RESPECTED_PERSONS,
        )
        made["programme3"] += 1
    for _ in range(rng.randint(20, 30)):
        women = rng.randint(10, 30)
        add(ActivityKind.DIRECT, women, rng.randint(0, 5), Topic.HOME_BIRTH)
        made["home_birth_women"] += women
    for _ in range(40):
        add(ActivityKind.CHILDREN_CLUB, rng.randint(5, 10), 0, Topic.CHILD_MARRIAGE)
    session.add_all(rows)
    await session.flush()

    def entry(
        kind: RegisterKind,
        n: int,
        name: str,
        *events: tuple[RegisterEvent, date],
        shelters: bool = False,
    ) -> registers.EntryInput:
        return registers.EntryInput(
            kind=kind,
            unit_id=villages[n].id,
            name=name,
            shelters=shelters,
            events=[registers.EventInput(event=e, on=d) for e, d in events],
        )

    est, strong, support = (
        RegisterEvent.ESTABLISHED,
        RegisterEvent.STRENGTHENED,
        RegisterEvent.SUPPORTED,
    )
    for data in (
        entry(RegisterKind.CLUB, 0, "CLB trường THCS Trà Bồng", (est, date(YEAR, 3, 15))),
        entry(RegisterKind.CLUB, 2, "CLB trường TH số 1", (est, date(YEAR, 10, 11))),
        entry(RegisterKind.CLUB, 4, "CLB trường TH số 2", (est, date(YEAR - 1, 10, 11))),
        entry(
            RegisterKind.TRUSTED_ADDRESS,
            1,
            "Nhà chị Bình",
            (est, date(YEAR - 2, 2, 1)),
            (strong, date(YEAR, 5, 10)),
            shelters=True,
        ),
        entry(RegisterKind.TRUSTED_ADDRESS, 3, "Trạm y tế", (est, date(YEAR, 6, 28))),
        entry(RegisterKind.TRUSTED_ADDRESS, 5, "Nhà văn hóa thôn 6", (est, date(YEAR - 3, 1, 1))),
        entry(
            RegisterKind.LIVELIHOOD_GROUP,
            2,
            "Tổ dệt thổ cẩm",
            (est, date(YEAR - 1, 1, 1)),
            (support, date(YEAR, 8, 20)),
        ),
        entry(RegisterKind.LIVELIHOOD_GROUP, 4, "Tổ trồng quế", (est, date(YEAR, 4, 1))),
    ):
        await registers.save(session, None, data, NOW)
    boss = await profile_of(session, chief)
    await targets.import_csv(
        session, boss, targets.SEED_004_CSV.format(area=commune.code, population=POPULATION)
    )
    made.update(clubs=2, addresses=2, groups=1)
    return made


async def table(session: AsyncSession, commune: Unit, lang: str = "vi") -> list[tuple[Any, ...]]:
    """The Targets sheet of the XLSX that /export and ``binhdang report`` write,
    read back: (content, target, achieved, %, definition) per line of the plan."""
    report = await build_report(
        session,
        areas.unit_area(commune),
        year_period(YEAR),
        today=date(YEAR + 1, 1, 5),
        zone=ZONE,
        with_children=True,
    )
    out = io.BytesIO()
    t = translator(lang)
    await exports.write_xlsx(session, report, out, t)
    sheet = openpyxl.load_workbook(out)[t("Targets")]
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[3]
    last = len(header) - 1
    return [(r[1], r[3], r[4], r[5], r[last]) for r in rows[4:] if r[0]]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--lang", default="vi")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite+aiosqlite:///{folder}/seed004.db")
        await migrate.upgrade(engine)
        sessions = make_sessionmaker(engine)
        async with sessions.begin() as session:
            await units.import_official_tree(session)
        async with sessions.begin() as session:
            found = [
                h
                for h in await units.search(session, "Xã Trà Bồng", limit=20)
                if h.name == "Xã Trà Bồng" and h.province_name == "Quảng Ngãi"
            ]
            commune = await units.get_unit(session, found[0].id)
            assert commune is not None
            made = await generate(session, commune, args.seed)
        async with sessions() as session:
            lines = await table(session, commune, args.lang)
        await engine.dispose()
    for content, target, achieved, ratio, definition in lines:
        share = f"{ratio:.0%}" if isinstance(ratio, (int, float)) else ""
        print(f"| {content} | {target} | {achieved} | {share} | {definition} |")
    print(
        json.dumps(
            {
                "commune": "Xã Trà Bồng",
                "year": YEAR,
                "seed": args.seed,
                "generated": made,
                "lines": len(lines),
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
