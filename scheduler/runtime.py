"""What the timed work needs from the composition root, as protocols (the
scheduler may not import ``bot``): ``bot.services.Services`` and
``bot.i18n.translator`` fit them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol
from zoneinfo import ZoneInfo

from babel import Locale
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.incidents import Cipher, EscalationPolicy


class RuntimeSettings(Protocol):
    @property
    def send_rate_per_s(self) -> float: ...

    @property
    def quiet_hours(self) -> str: ...

    @property
    def reminder_max_late_hours(self) -> float: ...

    @property
    def background_jobs(self) -> bool: ...

    @property
    def default_language(self) -> str: ...

    @property
    def database_url(self) -> str: ...

    @property
    def outbox_journal(self) -> str | None: ...

    @property
    def zone(self) -> ZoneInfo: ...

    @property
    def report_half_year_end(self) -> str: ...

    @property
    def outbox_retention_days(self) -> int: ...

    @property
    def outbox_incident_retention_days(self) -> int: ...

    @property
    def outbox_lease_s(self) -> float: ...

    @property
    def incident_check_seconds(self) -> float: ...

    @property
    def incident_retention_days(self) -> int: ...


class Runtime(Protocol):
    @property
    def settings(self) -> RuntimeSettings: ...

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]: ...

    @property
    def clock(self) -> Callable[[], datetime]: ...

    @property
    def cipher(self) -> Cipher | None: ...

    @property
    def escalation_policy(self) -> EscalationPolicy: ...


class Translate(Protocol):
    """What the scheduler needs of ``bot.i18n.Translator``."""

    lang: str
    locale: Locale  # what Babel formats with

    def __call__(self, message: str) -> str: ...

    def ngettext(self, singular: str, plural: str, n: int) -> str: ...

    def number(self, value: int | float | Decimal) -> str: ...

    def percent(self, value: float) -> str: ...

    def date(self, value: date) -> str: ...

    def datetime(self, value: datetime) -> str: ...


Texts = Callable[[str | None], Translate]
"""A language code (``None``: the default language) → its translator."""
