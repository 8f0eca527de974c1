"""Every message id used in the code has a translation in every catalogue."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.i18n import LOCALES_DIR, available_languages, match_language, translator

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"t": None, "N_": None, "ngettext": (1, 2)}


def _code_ids() -> set[str]:
    ids: set[str] = set()
    for package in ("bot", "handlers", "scheduler", "storage", "web"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / package, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            ids.add(message[0] if isinstance(message, tuple) else message)
    return ids


def test_vietnamese_and_english_are_there():
    assert available_languages()[:1] == ("vi",)
    assert "en" in available_languages()


@pytest.mark.parametrize("lang", available_languages())
def test_every_message_id_is_translated(lang):
    with (LOCALES_DIR / lang / "LC_MESSAGES" / "binhdang.po").open("rb") as fp:
        catalog = read_po(fp, locale=lang)
    translated = {
        m.id[0] if isinstance(m.id, tuple) else m.id
        for m in catalog
        if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string)
    }
    ids = _code_ids()
    assert len(ids) > 50
    missing = sorted(ids - translated)
    assert missing == [], f"{lang} lacks translations for {missing}"


@pytest.mark.parametrize("lang", available_languages())
def test_placeholders_survive_translation(lang):
    import string

    with (LOCALES_DIR / lang / "LC_MESSAGES" / "binhdang.po").open("rb") as fp:
        catalog = read_po(fp, locale=lang)
    for m in catalog:
        if not m.id or isinstance(m.id, tuple):
            continue
        names = {f for _, f, _, _ in string.Formatter().parse(m.id) if f}
        got = {f for _, f, _, _ in string.Formatter().parse(m.string) if f}
        assert names == got, (lang, m.id)


def test_translation_and_formatting():
    vi = translator("vi")
    assert vi("Choose your language:") == "Chọn ngôn ngữ của bạn:"
    assert translator("en")("Choose your language:") == "Choose your language:"
    assert vi.number(7784) == "7.784"
    assert translator("en").number(7784) == "7,784"
    assert translator("xx").lang == "vi"
    assert match_language("en-US") == "en"
    assert match_language("fr", default="vi") == "vi"
    assert vi.language_name == "Tiếng Việt"


def _literal_ids() -> dict[str, str]:
    """Every string literal passed to ``t(...)``, ``context.t(...)``, ``N_(...)`` or
    ``ngettext(...)`` in the code, however it is written (inside an f-string
    too, which Babel's extraction does not read): id → where."""
    import ast

    found: dict[str, str] = {}
    for package in ("bot", "handlers", "scheduler", "storage"):
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                if name not in ("t", "N_", "ngettext") or not node.args:
                    continue
                for arg in node.args[: 2 if name == "ngettext" else 1]:
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        where = f"{path.relative_to(ROOT)}:{node.lineno}"
                        found.setdefault(arg.value, where)
    return found


@pytest.mark.parametrize("lang", available_languages())
def test_every_literal_id_is_in_the_catalogue_however_it_is_written(lang):
    with (LOCALES_DIR / lang / "LC_MESSAGES" / "binhdang.po").open("rb") as fp:
        catalog = read_po(fp, locale=lang)
    translated: set[str] = set()
    for m in catalog:
        if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string):
            translated.update(m.id if isinstance(m.id, tuple) else (m.id,))
    found = _literal_ids()
    assert len(found) > 50
    missing = {i: where for i, where in found.items() if i not in translated}
    assert missing == {}, f"{lang} lacks translations for {missing}"
