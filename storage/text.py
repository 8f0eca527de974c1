"""Text folding for accent-insensitive search (tìm kiếm không dấu)."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^0-9a-z]+")
# Official type words that users may or may not type before a province or
# commune name. Village words (thôn, làng, bản...) are kept: "Lạng Sơn" folds
# to "lang son", and "Làng Mới" must not become "moi".
_PREFIXES = ("thanh pho", "dac khu", "phuong", "tinh", "xa")


def fold(text: str) -> str:
    """Lower case, no diacritics, ``đ`` → ``d``, words separated by one space."""
    text = text.replace("Đ", "D").replace("đ", "d")
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NON_WORD.sub(" ", stripped.lower()).strip()


def strip_type_prefix(folded: str) -> str:
    """``xa tra bong`` → ``tra bong``; a bare name is returned as it is."""
    for prefix in _PREFIXES:
        if folded.startswith(prefix + " ") and len(folded) > len(prefix) + 1:
            return folded[len(prefix) + 1 :]
    return folded


def search_key(name: str) -> str:
    return strip_type_prefix(fold(name))


def clean_name(text: str, max_length: int) -> str | None:
    """A place or person name typed by a user: trimmed, one line, no control
    characters; ``None`` if nothing usable is left or it is too long."""
    cleaned = " ".join("".join(c for c in text if unicodedata.category(c)[0] != "C").split())
    if not cleaned or len(cleaned) > max_length or not fold(cleaned):
        return None
    return cleaned


# What a spreadsheet reads as the start of a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def starts_like_formula(text: str) -> bool:
    """Whether a name or note typed by a user would start a spreadsheet
    formula (``=1+2``, ``@SUM(…)``): such text is refused where it is typed."""
    return text.lstrip(" ").startswith(FORMULA_STARTS)


def starts_like_bullet(text: str) -> bool:
    """Whether text starts as a list typed by hand (``- 3 chị em``, ``+ họp
    thôn``): a dash or plus, one or more spaces, then text that does not
    itself start a formula. Exports write it as data (:func:`defused`)."""
    stripped = text.lstrip(" ")
    if stripped[:1] not in ("-", "+") or stripped[1:2] != " ":
        return False
    rest = stripped[1:].lstrip(" ")
    return bool(rest) and not rest[0].isspace() and not starts_like_formula(rest)


def defused(value: str) -> str:
    """A text field as data, never a formula, for a CSV export: prefixed with
    ``'`` when it starts with ``= + - @``, a tab or a carriage return
    (OWASP's guidance). :func:`restored` undoes it on import."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def restored(value: str) -> str:
    """A field of an imported CSV as it was before :func:`defused`."""
    if value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value
