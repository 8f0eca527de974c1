"""The ``binhdang`` command as a user runs it, in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = "\n".join(
    [
        "/start",
        "#2",  # English, the second language button
        "#Village collaborator",
        "quang ngai",  # its full name: chosen, no list of one
        "tra bong",
        "#Xã Trà Bồng",
        "#➕ My village is not listed",
        "Thôn 5",
        "#✅ Send request",
        "!user 1",  # the demo administrator
        "#1",  # ✅ Duyệt
        "!user 1001",
        "/help",
        "",
    ]
)


def _binhdang(
    args: list[str], tmp_path: Path, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    environment = (
        {k: v for k, v in os.environ.items() if not k.startswith("BINHDANG_")}
        | {"BINHDANG_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/bot.db"}
        | env
    )
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )


@pytest.mark.sqlite_only
def test_a_scripted_chat_registers_and_an_admin_approves(tmp_path):
    result = _binhdang(["chat"], tmp_path, SCRIPT)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Place: Thôn 5 (new), Xã Trà Bồng, Quảng Ngãi" in out
    assert "bot → 1: Yêu cầu đăng ký mới:" in out
    assert "[1] ✅ Duyệt   [2] ❌ Từ chối" in out
    assert "bot → 1001: Your registration is approved" in out
    assert "You are registered as: Village collaborator." in out
    assert "Traceback" not in result.stderr


@pytest.mark.sqlite_only
def test_a_missing_button_is_said_plainly(tmp_path):
    result = _binhdang(["chat"], tmp_path, "#7\n/start\n#9\n")
    assert result.returncode == 0
    assert "no bot message with an inline keyboard" in result.stdout
    assert "button 9 out of range" in result.stdout


@pytest.mark.sqlite_only
def test_the_chat_splits_long_lines_and_shows_toasts(tmp_path):
    script = "\n".join(["/report", "#khong", "#1", "#Xong", "x" * 5000, ""])
    result = _binhdang(
        ["chat"], tmp_path, script, BINHDANG_SECRET_KEY="a-test-secret-key-for-the-chat"
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "(alert: Chọn ít nhất một.)" in result.stdout  # Done with nobody chosen
    # 5,000 characters typed: sent as Telegram's app sends them, in two messages.
    assert result.stdout.count("không phải là một trong các nút bên dưới.") == 2


def test_run_without_token_or_terminal_exits_2(tmp_path):
    result = _binhdang(["run"], tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "BINHDANG_BOT_TOKEN is not set" in result.stderr


def test_a_bad_setting_stops_with_one_line(tmp_path):
    result = _binhdang(["db", "upgrade"], tmp_path, BINHDANG_TIMEZONE="Mars/Base")
    assert result.returncode == 2
    assert result.stderr == "binhdang: Setting BINHDANG_TIMEZONE: unknown time zone 'Mars/Base'\n"


def test_db_upgrade_and_units_import_are_idempotent(tmp_path):
    assert _binhdang(["db", "upgrade"], tmp_path).returncode == 0
    first = _binhdang(["units", "import"], tmp_path)
    assert first.stdout.strip() == "units: 3355 added, 0 renamed"
    again = _binhdang(["units", "import"], tmp_path)
    assert again.stdout.strip() == "units: 0 added, 0 renamed"


def test_villages_csv_is_all_or_nothing(tmp_path):
    _binhdang(["units", "import"], tmp_path)
    bad = tmp_path / "bad.csv"
    bad.write_text("commune_code,name\n21115,Thôn 1\n99999,Thôn 2\n", encoding="utf-8")
    result = _binhdang(["units", "villages", str(bad)], tmp_path)
    assert result.returncode == 1
    assert "line 3: unknown commune code '99999'" in result.stderr
    good = tmp_path / "good.csv"
    good.write_text("commune_code,name\n21115,Thôn 1\n21115,Thôn 2\n", encoding="utf-8")
    result = _binhdang(["units", "villages", str(good)], tmp_path)
    assert result.stdout.strip() == "villages: 2 added or already present"


def test_a_group_of_communes(tmp_path):
    result = _binhdang(["units", "group", "Huyện Trà Bồng (cũ)", "21115", "21127"], tmp_path)
    assert result.stdout.strip() == "group 1: Huyện Trà Bồng (cũ), 2 communes"
    result = _binhdang(["units", "group", "Sai", "51"], tmp_path)
    assert result.returncode == 1
    assert "'51' is not the code of a commune" in result.stderr


@pytest.mark.sqlite_only
def test_registers_import_and_export(tmp_path):
    _binhdang(["units", "import"], tmp_path)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "kind,place,name,events\nclb,21115,CLB A,thanh-lap 01/03/2024\nclb,99999,CLB B,\n",
        encoding="utf-8",
    )
    result = _binhdang(["registers", "import", str(bad)], tmp_path)
    assert result.returncode == 1
    assert "line 3: unknown_place 99999" in result.stderr
    good = tmp_path / "good.csv"
    good.write_text(
        "kind,place,name,shelters,events\nclb,21115,CLB A,,thanh-lap 01/03/2024\n"
        "dctc,21115,Nhà chị B,co,thanh-lap 01/02/2022\n",
        encoding="utf-8",
    )
    result = _binhdang(["registers", "import", str(good)], tmp_path)
    assert result.stdout.strip() == "registers: 2 added, 0 updated"
    out = tmp_path / "out.csv"
    result = _binhdang(["registers", "export", str(out), "--area", "51"], tmp_path)
    assert result.stdout.strip() == f"registers: 2 lines written to {out}"
    text = out.read_text(encoding="utf-8")
    assert "dctc,21115,Nhà chị B,co,,,thanh-lap 01/02/2022" in text
