"""Phone numbers (số điện thoại) as people type them, and as Telegram shows
them with a tap-to-call link."""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s.\-()/]")
MIN_DIGITS, MAX_DIGITS = 3, 15


def normalise_phone(text: str) -> str | None:
    """``0905.123.456``, ``(0255) 3822 123`` or ``+84 905 123 456`` → the digits,
    with a leading ``+`` when given; ``None`` if it is not a phone number."""
    compact = _SEPARATORS.sub("", text.strip())
    plus = compact.startswith("+")
    digits = compact[1:] if plus else compact
    if not digits.isascii() or not digits.isdigit():
        return None
    if not MIN_DIGITS <= len(digits) <= MAX_DIGITS:
        return None
    return f"+{digits}" if plus else digits


def display_phone(number: str) -> str:
    """How to show a stored number so that Telegram links it for calling.

    Vietnamese subscriber numbers (``0`` then 9 or 10 digits) are shown in the
    international form, ``+84 905 123 456``, which Telegram recognises as a
    phone number; service numbers (``1900 969 680``, ``1800 1233``) and short
    codes (``111``) only work dialled as they are, so they are grouped but
    kept."""
    if number.startswith("+84"):
        return "+84 " + _group(number[3:])
    if number.startswith("0") and len(number) in (10, 11):
        return "+84 " + _group(number[1:])
    if number.startswith(("1800", "1900")):
        return _group(number, first=4)
    return number


def _group(digits: str, first: int = 3) -> str:
    head, rest = digits[:first], digits[first:]
    parts = [head]
    while rest:
        size = 4 if len(rest) in (4, 7) else 3
        parts.append(rest[:size])
        rest = rest[size:]
    return " ".join(parts)
