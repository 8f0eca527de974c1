"""Translations: gettext catalogues in ``locales/<lang>/LC_MESSAGES/binhdang.po``.

The ``.po`` files are compiled in memory at start-up with Babel, so adding a
language takes one new ``.po`` file and nothing else.
"""

from __future__ import annotations

import gettext
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "binhdang"
FALLBACK_LANGUAGE = "vi"


def N_(message: str) -> str:
    """Mark a string for extraction without translating it yet."""
    return message


@cache
def available_languages() -> tuple[str, ...]:
    """Language codes with a catalogue, Vietnamese first."""
    codes = sorted(p.parent.parent.name for p in LOCALES_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    return tuple(sorted(codes, key=lambda c: (c != FALLBACK_LANGUAGE, c)))


def match_language(code: str | None, default: str = FALLBACK_LANGUAGE) -> str:
    """The catalogue that best fits a Telegram ``language_code`` such as ``en-US``."""
    if code:
        base = code.replace("-", "_").split("_")[0].lower()
        if base in available_languages():
            return base
    return default


class Translator:
    """Translations and Babel formatting for one language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.locale = Locale.parse(lang)
        path = LOCALES_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
        with path.open("rb") as fp:
            catalog = read_po(fp, locale=lang)
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
        name = self.locale.get_display_name(self.locale) or self.lang
        return name[:1].upper() + name[1:]


@cache
def translator(lang: str | None) -> Translator:
    """The translator for ``lang``, falling back to Vietnamese."""
    return Translator(lang if lang in available_languages() else FALLBACK_LANGUAGE)
