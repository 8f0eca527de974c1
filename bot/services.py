"""What handlers and jobs need at hand: settings, the database, the clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache, cached_property

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.settings import Settings
from storage.db import make_engine, make_sessionmaker
from storage.incidents import Cipher, EscalationPolicy, cipher_from
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

    @property
    def cipher(self) -> Cipher | None:
        """The cipher of incident texts for ``SECRET_KEY``; ``None`` without one."""
        return cipher_of(self.settings)

    @cached_property
    def escalation_policy(self) -> EscalationPolicy:
        return policy_of(self.settings)

    @classmethod
    def from_settings(cls, settings: Settings) -> Services:
        engine = make_engine(settings.database_url)
        return cls(settings=settings, engine=engine, sessions=make_sessionmaker(engine))


@cache
def _cipher(secret: str, old: tuple[str, ...] = ()) -> Cipher | None:
    return cipher_from(secret, old)


def cipher_of(settings: Settings) -> Cipher | None:
    """The cipher for the configured ``SECRET_KEY`` (and the older keys it
    still reads); ``None`` without one."""
    secret = settings.secret_key.get_secret_value() if settings.secret_key else None
    return _cipher(secret, tuple(settings.old_keys)) if secret else None


def policy_of(settings: Settings) -> EscalationPolicy:
    """How long a report waits for someone to take it (the settings)."""
    return EscalationPolicy(
        danger=timedelta(minutes=settings.incident_escalate_danger_minutes),
        normal=timedelta(minutes=settings.incident_escalate_minutes),
    )
