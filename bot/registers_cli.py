"""``binhdang registers import FILE`` and ``binhdang registers export FILE
--area CODE``: the registers of teams, clubs, livelihood groups and trusted
addresses as CSV (format in ``storage.registers.csvfile``). An import checks
every line first; if one is wrong, nothing is imported."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from bot.app import prepare_database
from bot.services import Services
from bot.settings import Settings
from storage import registers, units


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("registers", help="teams, clubs, groups, trusted addresses as CSV")
    actions = parser.add_subparsers(dest="registers_command", required=True)
    load = actions.add_parser("import", help="add or update entries from a CSV file")
    load.add_argument("file", type=Path, help="a CSV file (UTF-8)")
    save = actions.add_parser("export", help="write the entries under a unit to a CSV file")
    save.add_argument("file", type=Path, help="a CSV file to write")
    save.add_argument("--area", required=True, help="the unit code (a province or commune)")


async def _run(settings: Settings, args: argparse.Namespace) -> str:
    services = Services.from_settings(settings)
    await prepare_database(services)
    try:
        if args.registers_command == "export":
            async with services.sessions() as session:
                unit = await units.get_by_code(session, args.area)
                if unit is None:
                    raise ValueError(f"no unit has the code {args.area}")
                _area, text = await registers.export_for(session, None, unit.id)
            args.file.write_text(text, encoding="utf-8")
            return f"registers: {max(text.count(chr(10)) - 1, 0)} lines written to {args.file}"
        text = args.file.read_text(encoding="utf-8-sig")
        async with services.sessions.begin() as session:
            done = await registers.import_csv(session, None, text, services.clock())
        return f"registers: {done.created} added, {done.updated} updated"
    finally:
        await services.engine.dispose()


def run(settings: Settings, args: argparse.Namespace) -> int:
    try:
        print(asyncio.run(_run(settings, args)))
    except registers.RegisterImportError as exc:
        print(
            f"binhdang: {args.file}: line {exc.line}: {exc.code} {exc.detail}\nnothing was imported",
            file=sys.stderr,
        )
        return 1
    except (OSError, ValueError) as exc:
        print(f"binhdang: {exc}", file=sys.stderr)
        return 1
    return 0
