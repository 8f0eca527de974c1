"""``binhdang addresses import|export FILE``, ``binhdang hotlines
import|export FILE`` and ``binhdang committees import|export FILE``: the
trusted-address directory, the hotlines and the communes' People's
Committee contacts as CSV (formats in ``storage.trusted_addresses.csvfile``,
``storage.hotlines`` and ``storage.incidents.committees_csv``).
An import checks every row first; if one is wrong, nothing is imported."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from bot.app import prepare_database
from bot.services import Services
from bot.settings import Settings
from storage import hotlines
from storage.incidents import committees_csv
from storage.trusted_addresses import csvfile


def add_parsers(commands: Any) -> None:
    for name, what in (
        ("addresses", "trusted-address directory"),
        ("hotlines", "hotlines"),
        ("committees", "communes' People's Committee contacts (Art. 36)"),
    ):
        parser = commands.add_parser(name, help=f"the {what} as CSV")
        actions = parser.add_subparsers(dest=f"{name}_command", required=True)
        for action in ("import", "export"):
            sub = actions.add_parser(action, help=f"{action} the {what}")
            sub.add_argument("file", type=Path, help="a CSV file (UTF-8)")


async def _run(settings: Settings, what: str, action: str, path: Path) -> str:
    services = Services.from_settings(settings)
    await prepare_database(services)
    now = services.clock()
    try:
        if action == "export":
            async with services.sessions.begin() as session:
                if what == "hotlines":
                    await hotlines.ensure_seeded(session, now)
                with path.open("w", newline="", encoding="utf-8") as fp:
                    if what == "addresses":
                        count = await csvfile.export_csv(session, fp)
                    elif what == "committees":
                        count = await committees_csv.export_csv(session, fp)
                    else:
                        count = await hotlines.export_csv(session, fp)
            return f"{what}: {count} exported to {path}"
        with path.open(newline="", encoding="utf-8-sig") as fp:
            async with services.sessions.begin() as session:
                if what == "addresses":
                    done = await csvfile.import_csv(session, fp, now)
                    return f"addresses: {done.created} added, {done.updated} updated"
                if what == "committees":
                    count = await committees_csv.import_csv(session, fp, now)
                    return f"committees: {count} set"
                count = await hotlines.replace_all(session, hotlines.read_csv(fp), now)
                return f"hotlines: {count} listed"
    finally:
        await services.engine.dispose()


def run(settings: Settings, args: argparse.Namespace) -> int:
    what = args.command
    action = getattr(args, f"{what}_command")
    try:
        print(asyncio.run(_run(settings, what, action, args.file)))
    except (csvfile.CsvErrors, hotlines.HotlineErrors, committees_csv.CommitteeCsvErrors) as exc:
        print(f"binhdang: {args.file}:\n{exc}\nnothing was imported", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"binhdang: {exc}", file=sys.stderr)
        return 1
    return 0
