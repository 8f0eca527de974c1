from __future__ import annotations

import pytest

from bot.settings import SettingsError, load_settings


def test_defaults(monkeypatch):
    for name in ("BOT_TOKEN", "DATABASE_URL", "ADMIN_IDS", "TIMEZONE", "DEFAULT_LANGUAGE"):
        monkeypatch.delenv(f"BINHDANG_{name}", raising=False)
    settings = load_settings(_env_file=None)
    assert settings.database_url == "sqlite+aiosqlite:///./binhdang.db"
    assert settings.timezone == "Asia/Ho_Chi_Minh"
    assert settings.default_language == "vi"
    assert settings.token is None


def test_admin_ids_accept_commas(monkeypatch):
    monkeypatch.setenv("BINHDANG_ADMIN_IDS", "12, 34;56")
    assert load_settings(_env_file=None).admin_ids == [12, 34, 56]


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("TIMEZONE", "Mars/Base", "unknown time zone"),
        ("DEFAULT_LANGUAGE", "fr", "has no catalogue"),
        ("ADMIN_IDS", "alice", "Telegram user ids"),
        ("DATABASE_URL", "mysql://x", "must start with"),
        ("API_BASE_URL", "ftp://x", "http"),
    ],
)
def test_a_bad_setting_is_one_clear_line(monkeypatch, name, value, words):
    monkeypatch.setenv(f"BINHDANG_{name}", value)
    with pytest.raises(SettingsError) as caught:
        load_settings(_env_file=None)
    message = str(caught.value)
    assert message.startswith(f"Setting BINHDANG_{name}:")
    assert words in message
    assert "\n" not in message
