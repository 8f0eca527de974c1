"""The offline chat prints the dashboard's address for the demo
administrator, and that address opens the dashboard while the chat runs."""

from __future__ import annotations

import io
import json
import urllib.request
from urllib.parse import unquote

import pytest

from bot.offline import run_chat
from bot.settings import Settings


@pytest.mark.sqlite_only
async def test_the_offline_chat_prints_a_working_dashboard_link(tmp_path):
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}",
        background_jobs=False,
    )
    out = io.StringIO()
    lines = iter(["!user 1\n", "/dashboard\n"])
    seen: dict[str, object] = {}

    def read_line() -> str:
        # Called in a worker thread while the bot and its server run.
        line = next(lines, "")
        if line:
            return line
        text = out.getvalue()
        url = next(x for x in text.splitlines() if x.startswith("Dashboard: "))[11:]
        base, fragment = url.split("#tgWebAppData=", 1)
        request = urllib.request.Request(
            base.replace("/app/", "/app/api/summary"),
            headers={"Authorization": "tma " + unquote(fragment)},
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            seen["summary"] = json.loads(answer.read())
        login = next(x for x in text.splitlines() if "/app/login/" in x).strip()
        with urllib.request.urlopen(login, timeout=30) as answer:
            seen["login_page"] = answer.status
        return ""

    assert await run_chat(settings, read_line, out, interactive=False) == 0
    text = out.getvalue()
    assert text.startswith("Dashboard: http://127.0.0.1:")
    assert "/app/#tgWebAppData=" in text.splitlines()[0]
    summary = seen["summary"]
    assert isinstance(summary, dict) and summary["unit"] == "VN"
    assert seen["login_page"] == 200
