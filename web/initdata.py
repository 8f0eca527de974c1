"""Telegram Mini App ``initData`` (dữ liệu khởi tạo): checking it as
Telegram's documentation says, and signing it the way Telegram does (for the
offline chat's link and the tests, where the local Bot API plays Telegram).

https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

# initData is a few hundred bytes; anything far longer is not from Telegram.
MAX_LENGTH = 4096


class InitDataError(ValueError):
    """``code``: malformed, bad_hash, expired or no_user."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class WebAppUser:
    telegram_id: int
    language_code: str | None
    auth_date: datetime


def _secret(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def _check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{k}={v}" for k, v in sorted(fields.items()) if k != "hash")


def sign(fields: dict[str, str], bot_token: str) -> str:
    """``fields`` (user JSON, auth_date, ...) as a signed initData query string."""
    digest = hmac.new(_secret(bot_token), _check_string(fields).encode(), hashlib.sha256)
    return urlencode({**fields, "hash": digest.hexdigest()})


def for_user(
    telegram_id: int, bot_token: str, now: datetime, *, first_name: str = "", language: str = "vi"
) -> str:
    """The initData Telegram would give user ``telegram_id`` opening the Mini App now."""
    user = {
        "id": telegram_id,
        "first_name": first_name or str(telegram_id),
        "language_code": language,
    }
    return sign(
        {
            "user": json.dumps(user, separators=(",", ":"), ensure_ascii=False),
            "auth_date": str(int(now.timestamp())),
            "query_id": f"local-{telegram_id}-{int(now.timestamp())}",
        },
        bot_token,
    )


def validate(init_data: str, bot_token: str, now: datetime, max_age: timedelta) -> WebAppUser:
    """The user of a genuine, recent initData; :class:`InitDataError` otherwise."""
    if not init_data or len(init_data) > MAX_LENGTH:
        raise InitDataError("malformed")
    try:
        fields = dict(parse_qsl(init_data, keep_blank_values=True, strict_parsing=True))
    except ValueError:
        raise InitDataError("malformed") from None
    given = fields.get("hash", "")
    expected = hmac.new(_secret(bot_token), _check_string(fields).encode(), hashlib.sha256)
    if not hmac.compare_digest(given.encode(), expected.hexdigest().encode()):
        raise InitDataError("bad_hash")
    try:
        signed_at = datetime.fromtimestamp(int(fields["auth_date"]), tz=now.tzinfo)
    except (KeyError, ValueError, OverflowError, OSError):
        raise InitDataError("malformed") from None
    if now - signed_at > max_age or signed_at - now > timedelta(minutes=5):
        raise InitDataError("expired")
    try:
        user: Any = json.loads(fields["user"])
        telegram_id = int(user["id"])
    except (KeyError, ValueError, TypeError):
        raise InitDataError("no_user") from None
    language = user.get("language_code") if isinstance(user, dict) else None
    return WebAppUser(telegram_id, language if isinstance(language, str) else None, signed_at)


def app_link(base_url: str, telegram_id: int, bot_token: str, now: datetime) -> str:
    """The dashboard's address as Telegram opens a Mini App for that user:
    ``<base>/app/#tgWebAppData=<urlencoded initData>``."""
    return f"{base_url}/app/#tgWebAppData={quote(for_user(telegram_id, bot_token, now))}"
