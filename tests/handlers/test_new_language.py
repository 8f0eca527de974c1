"""A language Babel has no data for becomes a choice with one ``.po`` file."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot import i18n
from tests.handlers.report_helpers import ADMIN, setup_world
from tests.harness import BotHarness, texts

ROOT = Path(__file__).resolve().parents[2]
NEWCOMER = 1003
HEADERS = '"X-Language-Name: Hrê (thử)\\n"\n"X-Format-Locale: vi\\n"'


def _scratch_language(locales: Path) -> None:
    """``hre`` made from a copy of the English catalogue, marked so that its
    strings can be told apart."""
    source = (locales / "en" / "LC_MESSAGES" / "binhdang.po").read_text(encoding="utf-8")
    source = source.replace('"Language: en\\n"', '"Language: hre\\n"\n' + HEADERS)
    source = source.replace('"Language-Team: en <LL@li.org>\\n"', '"Language-Team: hre\\n"')
    source = source.replace("nplurals=2; plural=(n != 1);", "nplurals=1; plural=0;")
    for msgid in ("What is your role?", "National hotlines"):
        source = source.replace(
            f'msgid "{msgid}"\nmsgstr "{msgid}"', f'msgid "{msgid}"\nmsgstr "[hre] {msgid}"'
        )
    target = locales / "hre" / "LC_MESSAGES" / "binhdang.po"
    target.parent.mkdir(parents=True)
    target.write_text(source, encoding="utf-8")


@pytest.fixture
def scratch_locales(tmp_path: Path) -> Iterator[Path]:
    locales = tmp_path / "locales"
    shutil.copytree(ROOT / "locales", locales)
    _scratch_language(locales)
    (locales / "broken").mkdir()  # a directory without a catalogue is no language
    i18n.use_locales_dir(locales)
    yield locales
    i18n.use_locales_dir(None)


@pytest.fixture
async def bot(engine, sessions, scratch_locales) -> AsyncIterator[BotHarness]:
    harness = BotHarness(engine, sessions, admin_ids=[ADMIN])
    harness.api.add_user(NEWCOMER, first_name="Y Blông", language_code="vi")
    async with harness:
        await setup_world(harness)
        yield harness


def test_the_catalogue_header_names_the_language_and_its_formats(scratch_locales):
    assert i18n.available_languages() == ("vi", "en", "hre")
    hre = i18n.translator("hre")
    assert hre.lang == "hre"
    assert hre.language_name == "Hrê (thử)"
    assert hre.number(7784) == "7.784"  # Vietnamese numbers, as the header says
    assert hre("What is your role?") == "[hre] What is your role?"
    assert hre("Choose your language:") == "Choose your language:"


def test_without_a_name_line_the_team_name_or_code_is_shown(scratch_locales):
    path = scratch_locales / "hre" / "LC_MESSAGES" / "binhdang.po"
    text = path.read_text(encoding="utf-8").replace('"X-Language-Name: Hrê (thử)\\n"\n', "")
    path.write_text(text.replace('"X-Format-Locale: vi\\n"\n', ""), encoding="utf-8")
    i18n.use_locales_dir(scratch_locales)
    hre = i18n.translator("hre")
    assert hre.language_name == "Hre"
    assert hre.number(7784) == "7.784"  # Vietnamese by default


def test_make_locales_keeps_the_header_lines(scratch_locales):
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "sync_locales.py"),
            "--locales",
            str(scratch_locales),
        ],
        check=True,
    )
    i18n.use_locales_dir(scratch_locales)
    hre = i18n.translator("hre")
    assert hre.language_name == "Hrê (thử)"
    assert hre("What is your role?") == "[hre] What is your role?"
    assert "nplurals=1" in (scratch_locales / "hre" / "LC_MESSAGES" / "binhdang.po").read_text()


async def test_start_in_a_new_language(bot):
    await bot.send(NEWCOMER, "/start")
    assert "Hrê (thử)" in bot.labels(NEWCOMER)
    replies = await bot.press(NEWCOMER, label="Hrê (thử)")
    assert "[hre] What is your role?" in texts(replies, NEWCOMER)
    national = texts(await bot.send(NEWCOMER, "/hotline"), NEWCOMER)[0]
    lines = national.splitlines()
    assert lines[0] == "[hre] National hotlines"
    # Hotlines have no Hrê description: the Vietnamese one is shown.
    assert lines[1].startswith("📞 113 — Công an")
