from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from storage.models import Base


async def test_migrations_produce_the_models_schema(engine):
    """The session database was built by the migrations alone; the models must
    not differ from it (otherwise a migration is missing)."""

    def diff(connection):
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)

    async with engine.connect() as connection:
        differences = await connection.run_sync(diff)
    assert differences == []
