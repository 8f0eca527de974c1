"""Bring every catalogue in line with the message ids in the code.

Run through ``make locales``. New ids are added with an empty translation
(English gets the id itself); ids no longer used are dropped. Translations
already present are kept. ``--fill FILE.py`` merges a dict ``TRANSLATIONS``
of {msgid: msgstr} into one language (``--lang``).
"""

from __future__ import annotations

import argparse
import runpy
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "locales"


def load(path: Path, lang: str) -> Catalog:
    if path.exists():
        with path.open("rb") as fp:
            return read_po(fp, locale=lang)
    return Catalog(locale=lang, domain="binhdang", project="binhdang-bot")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fill", type=Path)
    parser.add_argument("--lang")
    args = parser.parse_args()
    with (LOCALES / "messages.pot").open("rb") as fp:
        template = read_po(fp)
    extra: dict[object, object] = {}
    if args.fill:
        extra = runpy.run_path(str(args.fill))["TRANSLATIONS"]
    for lang_dir in sorted(p for p in LOCALES.iterdir() if p.is_dir()):
        lang = lang_dir.name
        path = lang_dir / "LC_MESSAGES" / "binhdang.po"
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


if __name__ == "__main__":
    main()
