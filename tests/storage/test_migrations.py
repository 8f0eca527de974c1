from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from storage import migrate
from storage.db import make_engine, make_sessionmaker
from storage.models import Activity, ActivityKind, Base, Target


async def test_migrations_produce_the_models_schema(engine):
    """The session database was built by the migrations alone; the models must
    not differ from it (otherwise a migration is missing)."""

    def diff(connection):
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)

    async with engine.connect() as connection:
        differences = await connection.run_sync(diff)
    assert differences == []


@pytest.mark.sqlite_only
async def test_0016_plans_keeps_existing_activities_and_targets(tmp_path):
    """Data written before 0016_plans reads the same after it: activities gain
    empty audience, cost and source; a target keeps its value in the widened
    column, which now holds a budget in đồng."""
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/old.db")
    await migrate.upgrade(engine, "0008_rollup_scopes")
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO units (id, code, name, level, kind, path, search_key, active, created_at)"
                " VALUES (1, '51', 'Quảng Ngãi', 'province', 'tinh', '/1/', 'quang ngai', 1, '2024-01-01'),"
                " (2, '21115', 'Xã Trà Bồng', 'commune', 'xa', '/1/2/', 'tra bong', 1, '2024-01-01')"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO users (id, telegram_id, display_name, status, bot_blocked,"
                " created_at, updated_at) VALUES (1, 7, 'Lan', 'active', 0, '2024-01-01',"
                " '2024-01-01')"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO activities (id, unit_id, reporter_id, kind, held_on, total, women,"
                " men, girls, boys, ethnic_minority, language, photo_file_ids, idempotency_key,"
                " deleted, created_at, updated_at) VALUES (1, 2, 1, 'training', '2024-05-02',"
                " 20, 10, 10, 0, 0, 5, 'vi', '[]', 'k1', 0, '2024-05-02 03:00:00',"
                " '2024-05-02 03:00:00')"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO targets (id, unit_id, year, indicator, activity_kind, value, position,"
                " created_at, updated_at) VALUES (1, 2, 2024, 'sessions', 'policy_dialogue', 21,"
                " 0, '2024-05-02 03:00:00', '2024-05-02 03:00:00')"
            )
        )
    await migrate.upgrade(engine)
    sessions = make_sessionmaker(engine)
    async with sessions() as session:
        activity = await session.get(Activity, 1)
        target = await session.get(Target, 1)
        assert (activity.kind, activity.total, activity.women) == (ActivityKind.TRAINING, 20, 10)
        assert (activity.audience, activity.cost, activity.funding_source) == (None, None, None)
        assert activity.products == {} and activity.held_by_id is None
        assert (target.value, target.funding_source, target.register_kind) == (21, None, None)
        target.value = 2_500_000_000  # a budget in đồng, past a 32-bit integer
        await session.commit()
    async with sessions() as session:
        assert (await session.get(Target, 1)).value == 2_500_000_000
    await engine.dispose()
