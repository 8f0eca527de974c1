"""The reports benchmark's data set (bench/aggregate.py): the monthly rollups
that it sums with numpy while generating, instead of running the triggers row
by row, are exactly what ``rollups.rebuild`` gives (and so the triggers: see
tests/storage/test_reports.py), on a small scale."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench import aggregate
from storage.db import is_sqlite, make_engine, make_sessionmaker
from storage.models import Activity, ActivityRollup, ReporterMonth, TopicRollup, Unit, UnitLevel
from storage.reports import rollups

ROLLUPS = (ActivityRollup, TopicRollup, ReporterMonth)


async def _rollups(engine: AsyncEngine) -> dict[str, list[tuple[str, ...]]]:
    sessions = make_sessionmaker(engine)
    async with sessions() as session:
        return {
            model.__tablename__: sorted(
                tuple(str(v) for v in row)
                for row in (await session.execute(select(model.__table__))).all()
            )
            for model in ROLLUPS
        }


async def test_generated_rollups_equal_a_rebuild(engine: AsyncEngine, tmp_path: Path) -> None:
    url = engine.url.render_as_string(hide_password=False)
    schema = f"bench_{secrets.token_hex(4)}"
    if is_sqlite(url):
        url = f"sqlite+aiosqlite:///{tmp_path / 'bench.db'}"
        own = make_engine(url)
    else:
        own = make_engine(url, connect_args={"server_settings": {"search_path": schema}})
    try:
        await aggregate.generate(url, 3000, seed=1, schema=schema)
        generated = await _rollups(own)
        sessions = make_sessionmaker(own)
        async with sessions() as session:
            live: Any = await session.scalar(
                select(func.count()).select_from(Activity).where(Activity.deleted.is_(False))
            )
            rolled: Any = await session.scalar(
                select(func.sum(ActivityRollup.sessions))
                .join(Unit, Unit.id == ActivityRollup.scope_id)
                .where(Unit.level == UnitLevel.PROVINCE)
            )
        assert 2900 < live < 3000  # some were generated deleted
        assert rolled == live
        async with sessions.begin() as session:
            await rollups.rebuild(session)
        rebuilt = await _rollups(own)
        for model in ROLLUPS:
            name = model.__tablename__
            assert len(generated[name]) > 1000, name
            assert generated[name] == rebuilt[name], name
    finally:
        await own.dispose()
        if not is_sqlite(url):
            admin = make_engine(url)
            async with admin.begin() as conn:
                await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            await admin.dispose()
