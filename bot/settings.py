"""Settings of the bot, read from the environment (prefix ``BINHDANG_``) or a ``.env`` file."""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
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
    persistence_interval: float = Field(default=1.0, gt=0, le=60)
    log_level: str = "INFO"

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

    @field_validator("api_base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        assert value is not None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def token(self) -> str | None:
        return self.bot_token.get_secret_value() if self.bot_token else None


def load_settings(**overrides: Any) -> Settings:
    """Read the settings, turning a validation error into one clear line."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(p) for p in error["loc"]) or "?"
        message = str(error["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"Setting {ENV_PREFIX}{field.upper()}: {message}") from None
