"""Settings of the bot, read from the environment (prefix ``BINHDANG_``) or a ``.env`` file."""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.i18n import available_languages

ENV_PREFIX = "BINHDANG_"


class SettingsError(Exception):
    """A setting is missing or wrong; the message is one line naming it."""


class Settings(BaseSettings):
    """Everything the operator can set. See README, section "Settings"."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    bot_token: SecretStr | None = None
    database_url: str = "sqlite+aiosqlite:///./binhdang.db"
    api_base_url: str | None = None
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    timezone: str = "Asia/Ho_Chi_Minh"
    default_language: str = "vi"
    secret_key: SecretStr | None = None
    log_level: str = "INFO"
    # Reminders and broadcasts (docs/outbox.md): Telegram's limit for the whole
    # bot (raise it for paid broadcasts), the quiet hours in which reminders
    # wait for morning, how late a missed reminder may still go out, whether
    # the sender and the timed jobs run by themselves (tests drive them), and
    # where the sender journals what Telegram accepted ("off": nowhere).
    send_rate_per_s: float = Field(default=30.0, gt=0, le=1000)
    quiet_hours: str = "21:00-06:30"
    reminder_max_late_hours: float = Field(default=24.0, ge=0, le=24 * 14)
    background_jobs: bool = True
    outbox_journal: str | None = None  # docs/outbox.md; default: beside a SQLite file
    # How long finished outbox rows (sent, blocked, failed, expired, cancelled)
    # are kept before the daily purge deletes them: incident rows link a chat id
    # to an incident code, so they go sooner (docs/outbox.md, "Retention").
    outbox_retention_days: int = Field(default=30, ge=1, le=3660)
    outbox_incident_retention_days: int = Field(default=7, ge=1, le=3660)
    # Activities (docs/activities.md): how far back a session may be dated, how
    # long its reporter may correct it, and where to keep photos and voice
    # notes (unset: only Telegram's file_id is stored, nothing is downloaded).
    activity_max_age_days: int = Field(default=60, ge=1, le=3660)
    activity_edit_days: int = Field(default=7, ge=0, le=3660)
    activity_media_dir: str | None = None
    # Changes to the "unusual total" table (storage/activities/checks.py,
    # USUAL_MAX), e.g. "direct=500,home_visit=40"; 0 removes a bound.
    activity_usual_max: str = ""
    # Incidents (docs/incidents.md): how long a report waits for someone to take
    # it before it goes up a level (danger now / otherwise), and how often the
    # escalation timers are checked.
    incident_escalate_danger_minutes: int = Field(default=30, ge=1, le=24 * 60)
    incident_escalate_minutes: int = Field(default=240, ge=1, le=7 * 24 * 60)
    incident_check_seconds: float = Field(default=60.0, ge=5, le=3600)
    # A /report draft with no input for this long is erased from the chat and
    # forgotten; Telegram lets a bot delete messages only for 48 hours.
    report_draft_minutes: int = Field(default=30, ge=5, le=24 * 60)
    # Processes (docs/deploy.md): the one HTTP server of the process (health,
    # the webhook, the dashboard) listens on LISTEN; with WEBHOOK_URL set,
    # Telegram posts updates there (PostgreSQL only) and every request must
    # carry WEBHOOK_SECRET; without it the bot polls. A standby tries to become
    # the leader every LEADER_RETRY_S; an outbox entry claimed by a sender is
    # its own for OUTBOX_LEASE_S (docs/outbox.md, "Leases").
    listen: str = "127.0.0.1:8080"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    leader_retry_s: float = Field(default=0.5, ge=0.05, le=30)
    outbox_lease_s: float = Field(default=15.0, ge=5, le=3600)
    # Keys and retention (docs/incidents.md, "Keys" and "Retention"): the keys
    # that sealed older data (read only, until `binhdang keys rotate`), and how
    # long a closed report keeps its personal fields before the daily purge.
    old_secret_keys: SecretStr | None = None
    incident_retention_days: int = Field(default=5 * 365, ge=30, le=50 * 366)
    # Reports (docs/reports.md): where the first half-year ends, as MM-DD (the
    # six-month report deadline; seeds 001 and 002 say "before 5 June").
    report_half_year_end: str = "06-05"
    # The dashboard (docs/dashboard.md): its public address (https, ending in
    # /app/; needed for the Mini App button and login links outside the
    # offline chat), and how old a Mini App's initData may be, in seconds.
    dashboard_url: str | None = None
    dashboard_auth_max_age: int = Field(default=3600, ge=60, le=7 * 24 * 3600)

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: Any) -> Any:
        if isinstance(value, str):
            parts = [p for p in value.replace(";", ",").replace(" ", ",").split(",") if p]
            try:
                return [int(p) for p in parts]
            except ValueError:
                raise ValueError(
                    f"expected Telegram user ids separated by commas, got {value!r}"
                ) from None
        return value

    @field_validator("old_secret_keys")
    @classmethod
    def _old_keys(cls, value: SecretStr | None) -> SecretStr | None:
        from storage.incidents.crypto import MIN_SECRET_LENGTH

        keys = [k.strip() for k in (value.get_secret_value() if value else "").split(",")]
        if any(k and len(k) < MIN_SECRET_LENGTH for k in keys):
            raise ValueError(
                f"each key, separated by commas, needs at least {MIN_SECRET_LENGTH} characters"
            )
        return value

    @field_validator("activity_usual_max")
    @classmethod
    def _usual_max(cls, value: str) -> str:
        from storage.activities.checks import usual_limits

        usual_limits(value)
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_hours(cls, value: str) -> str:
        from scheduler.quiet import parse_quiet_hours

        parse_quiet_hours(value)
        return value

    @field_validator("report_half_year_end")
    @classmethod
    def _month_day(cls, value: str) -> str:
        from storage.reports.periods import PeriodError, parse_month_day

        try:
            month, day = parse_month_day(value)
        except PeriodError:
            raise ValueError(f"expected a month and day as MM-DD, got {value!r}") from None
        return f"{month:02d}-{day:02d}"

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("default_language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        languages = available_languages()
        if value not in languages:
            raise ValueError(f"{value!r} has no catalogue; choose one of {', '.join(languages)}")
        return value

    @field_validator("database_url")
    @classmethod
    def _supported_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "must start with sqlite+aiosqlite:// or postgresql+asyncpg://, got "
                f"{value.split('://')[0]!r}"
            )
        return value

    @field_validator("api_base_url", "dashboard_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        assert value is not None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        host, _, port = value.rpartition(":")
        if not host or not port.isdigit() or not 0 <= int(port) < 65536:
            raise ValueError(f"expected HOST:PORT, got {value!r}")
        return value

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        assert value is not None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be the public https:// URL Telegram posts updates to")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        secret = value.get_secret_value()
        # Telegram's rule for secret_token.
        if not 1 <= len(secret) <= 256 or not all(
            c.isascii() and (c.isalnum() or c in "_-") for c in secret
        ):
            raise ValueError("1 to 256 characters: letters, digits, _ and - only")
        return value

    @model_validator(mode="after")
    def _webhook_needs(self) -> Settings:
        if self.webhook_url is None:
            return self
        if self.webhook_secret is None:
            raise ValueError(
                f"{ENV_PREFIX}WEBHOOK_URL is set: set {ENV_PREFIX}WEBHOOK_SECRET too "
                "(Telegram sends it with every update)"
            )
        if self.database_url.startswith("sqlite"):
            raise ValueError(
                "webhooks need PostgreSQL (several processes); on SQLite the bot polls: "
                f"unset {ENV_PREFIX}WEBHOOK_URL"
            )
        return self

    @property
    def listen_host(self) -> str:
        return self.listen.rpartition(":")[0].strip("[]")

    @property
    def listen_port(self) -> int:
        return int(self.listen.rpartition(":")[2])

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def old_keys(self) -> list[str]:
        """``BINHDANG_OLD_SECRET_KEYS``, separated by commas."""
        raw = self.old_secret_keys.get_secret_value() if self.old_secret_keys else ""
        return [k.strip() for k in raw.split(",") if k.strip()]

    @property
    def token(self) -> str | None:
        return self.bot_token.get_secret_value() if self.bot_token else None


def load_settings(**overrides: Any) -> Settings:
    """Read the settings, turning a validation error into one clear line."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(p) for p in error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        if not field:  # a rule across settings names them itself
            raise SettingsError(f"Settings: {message}") from None
        raise SettingsError(f"Setting {ENV_PREFIX}{field.upper()}: {message}") from None
