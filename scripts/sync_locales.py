"""Bring every catalogue in line with the message ids in the code.

Run through ``make locales``. New ids are added with an empty translation
(English gets the id itself); ids no longer used are dropped. Translations
already present are kept. ``--fill FILE.py`` merges a dict ``TRANSLATIONS``
of {msgid: msgstr} into one language (``--lang``). A catalogue's own header
lines that Babel does not keep (``X-Language-Name``, ``X-Format-Locale``, and
``Language-Team``/``Plural-Forms`` of a language Babel does not know) are
written back as they were.
"""

from __future__ import annotations

import argparse
import runpy
import sys
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.i18n import header_lines  # noqa: E402

LOCALES = ROOT / "locales"
KEPT_HEADERS = ("Language-Team", "Plural-Forms")


def load(path: Path, lang: str) -> Catalog:
    if path.exists():
        with path.open("rb") as fp:
            return read_po(fp, locale=lang)
    return Catalog(locale=lang, domain="binhdang", project="binhdang-bot")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fill", type=Path)
    parser.add_argument("--lang")
    parser.add_argument("--locales", type=Path, default=LOCALES)
    args = parser.parse_args()
    locales: Path = args.locales
    with (locales / "messages.pot").open("rb") as fp:
        template = read_po(fp)
    extra: dict[object, object] = {}
    if args.fill:
        extra = runpy.run_path(str(args.fill))["TRANSLATIONS"]
    for lang_dir in sorted(p for p in locales.iterdir() if p.is_dir()):
        lang = lang_dir.name
        path = lang_dir / "LC_MESSAGES" / "binhdang.po"
        kept = own_headers(path)
        old = load(path, lang)
        new = Catalog(locale=lang, domain="binhdang", project="binhdang-bot")
        for message in template:
            if not message.id:
                continue
            previous = old.get(message.id)
            string = previous.string if previous is not None else None
            if lang == args.lang and message.id in extra:
                string = extra[message.id]
            if lang == "en" and not (string and any(string)):
                string = message.id
            new.add(
                message.id,
                string or ("", "") if message.pluralizable else string or "",
                flags=message.flags,
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fp:
            write_po(fp, new, width=0, omit_header=False, sort_output=True)
        if kept:
            put_headers(path, kept)


def own_headers(path: Path) -> dict[str, str]:
    """Header lines a rewrite through Babel would lose or reset."""
    if not path.exists():
        return {}
    found = header_lines(path)
    kept = {k: v for k, v in found.items() if k.startswith("X-")}
    lang = path.parent.parent.name
    try:
        Locale.parse(lang)
    except (UnknownLocaleError, ValueError):
        kept |= {k: found[k] for k in KEPT_HEADERS if k in found}
    return kept


def put_headers(path: Path, kept: dict[str, str]) -> None:
    lines = path.read_text(encoding="utf-8").split("\n")
    start = lines.index('msgid ""')
    end = lines.index("", start)
    header = [
        line for line in lines[start:end] if not any(line.startswith(f'"{key}:') for key in kept)
    ]
    header += [f'"{key}: {value}\\n"' for key, value in kept.items()]
    path.write_text("\n".join(lines[:start] + header + lines[end:]), encoding="utf-8")


if __name__ == "__main__":
    main()
