"""Translations: gettext catalogues in ``locales/<lang>/LC_MESSAGES/binhdang.po``.

The ``.po`` files are compiled in memory at start-up with Babel, so adding a
language takes one new ``.po`` file and nothing else, including a language
Babel has no data for (Hrê ``hre``, Hmông ``hmn``, Jrai ``jra``, Bahnar
``bdq``, Tày ``tay``). Two header lines of the catalogue describe such a
language:

- ``X-Language-Name: Hrê``: its name as its speakers write it, shown on the
  language buttons (else the name part of ``Language-Team``, else Babel's
  name, else the code);
- ``X-Format-Locale: vi``: the locale whose numbers and dates it uses (else
  the language itself when Babel knows it, else Vietnamese).
"""

from __future__ import annotations

import gettext
import re
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from io import BytesIO
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent

DEFAULT_LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
LOCALES_DIR = DEFAULT_LOCALES_DIR
DOMAIN = "binhdang"
FALLBACK_LANGUAGE = "vi"
NAME_HEADER = "X-Language-Name"
FORMAT_HEADER = "X-Format-Locale"
_HEADER_LINE = re.compile(r'^"(?P<key>[A-Za-z][\w-]*):\s*(?P<value>.*?)(?:\\n)?"$')


def N_(message: str) -> str:
    """Mark a string for extraction without translating it yet."""
    return message


def use_locales_dir(path: Path | None) -> None:
    """Read catalogues from ``path`` from now on (``None``: the shipped ones)."""
    global LOCALES_DIR
    LOCALES_DIR = path if path is not None else DEFAULT_LOCALES_DIR
    available_languages.cache_clear()
    translator.cache_clear()


def catalogue_path(lang: str) -> Path:
    return LOCALES_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def available_languages() -> tuple[str, ...]:
    """Language codes with a catalogue that can be read, Vietnamese first."""
    codes = [p.parent.parent.name for p in LOCALES_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")]
    readable = [c for c in codes if _readable(c)]
    return tuple(sorted(readable, key=lambda c: (c != FALLBACK_LANGUAGE, c)))


def _readable(lang: str) -> bool:
    try:
        with catalogue_path(lang).open("rb") as fp:
            read_po(fp)
    except (OSError, ValueError, SyntaxError):
        return False
    return True


def match_language(code: str | None, default: str = FALLBACK_LANGUAGE) -> str:
    """The catalogue that best fits a Telegram ``language_code`` such as ``en-US``."""
    if code:
        base = code.replace("-", "_").split("_")[0].lower()
        if base in available_languages():
            return base
    return default


def header_lines(path: Path) -> dict[str, str]:
    """The ``Key: value`` lines of a catalogue's header, as written (Babel
    keeps only the standard ones)."""
    found: dict[str, str] = {}
    in_header = False
    with path.open(encoding="utf-8") as fp:
        for raw in fp:
            line = raw.strip()
            if line == 'msgid ""' and not found and not in_header:
                in_header = True
                continue
            if not in_header:
                continue
            if not line:
                break
            match = _HEADER_LINE.match(line)
            if match:
                found[match["key"]] = match["value"].strip()
    return found


def _known_locale(code: str | None) -> Locale | None:
    if not code:
        return None
    try:
        return Locale.parse(code.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return None


class Translator:
    """Translations and Babel formatting for one language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        path = catalogue_path(lang)
        headers = header_lines(path)
        own = _known_locale(lang)
        self.locale: Locale = (
            _known_locale(headers.get(FORMAT_HEADER)) or own or Locale.parse(FALLBACK_LANGUAGE)
        )
        self._name = _display_name(lang, headers, own)
        with path.open("rb") as fp:
            catalog = read_po(fp)
        buffer = BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        self._translations = gettext.GNUTranslations(buffer)

    def __call__(self, message: str) -> str:
        return self._translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._translations.ngettext(singular, plural, n)

    def number(self, value: int | float | Decimal) -> str:
        return str(format_decimal(value, locale=self.locale))

    def percent(self, value: float) -> str:
        return str(format_percent(value, locale=self.locale))

    def date(self, value: date) -> str:
        # Vietnamese readers see one way of writing a date everywhere, as the
        # reports print it: 01/12/2026 (CLDR's short form gives 1/12/26).
        pattern = "dd/MM/yyyy" if self.locale.language == "vi" else "short"
        return str(format_date(value, format=pattern, locale=self.locale))

    def datetime(self, value: datetime) -> str:
        return str(format_datetime(value, format="short", locale=self.locale))

    @property
    def language_name(self) -> str:
        return self._name


def _display_name(lang: str, headers: dict[str, str], own: Locale | None) -> str:
    name = headers.get(NAME_HEADER, "")
    if not name:
        team = headers.get("Language-Team", "").split("<", 1)[0].strip()
        if team and team.lower() != lang.lower() and team.upper() != "LANGUAGE":
            name = team
    if not name and own is not None:
        name = own.get_display_name(own) or ""
    name = name or lang
    return name[:1].upper() + name[1:]


@cache
def translator(lang: str | None) -> Translator:
    """The translator for ``lang``, falling back to Vietnamese."""
    return Translator(lang if lang in available_languages() else FALLBACK_LANGUAGE)
