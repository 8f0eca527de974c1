"""What handlers and jobs need at hand: settings, the database, the clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.settings import Settings
from storage.db import make_engine, make_sessionmaker
from storage.profiles import ProfileCache


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    clock: Callable[[], datetime] = field(default=system_clock)
    profiles: ProfileCache = field(default_factory=ProfileCache)

    def __post_init__(self) -> None:
        self.profiles.attach(self.engine)

    @classmethod
    def from_settings(cls, settings: Settings) -> Services:
        engine = make_engine(settings.database_url)
        return cls(settings=settings, engine=engine, sessions=make_sessionmaker(engine))
