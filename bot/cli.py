"""The ``binhdang`` command line."""

from __future__ import annotations

import argparse
import asyncio
import csv
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from bot import directory_cli, keys_cli, logs, period_report_cli, registers_cli, report_cli
from bot.app import TrackedApplication, build_application, prepare_database, settle_memory
from bot.coordination import AlreadyRunning, SingleProcessLock
from bot.offline import main_chat
from bot.runtime import ProcessRuntime
from bot.services import Services
from bot.settings import Settings, SettingsError, load_settings
from storage import migrate, units
from storage.models import UnitLevel
from storage.text import starts_like_formula

EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="binhdang", description="binhdang-bot")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="run the bot (offline demo chat when no token is set)")
    commands.add_parser("chat", help="chat with the bot offline, from a terminal or a pipe")
    db = commands.add_parser("db", help="database commands")
    db.add_subparsers(dest="db_command", required=True).add_parser(
        "upgrade", help="apply migrations"
    )
    unit = commands.add_parser("units", help="the administrative tree")
    unit_commands = unit.add_subparsers(dest="units_command", required=True)
    unit_commands.add_parser("import", help="load the official provinces and communes")
    villages = unit_commands.add_parser("villages", help="add villages from a CSV file")
    villages.add_argument("file", type=Path, help="CSV with columns commune_code,name")
    group = unit_commands.add_parser("group", help="define a named group of communes")
    group.add_argument("name", help="for example 'Huyện Trà Bồng (cũ)'")
    group.add_argument("codes", nargs="+", help="national codes of the communes")
    directory_cli.add_parsers(commands)
    registers_cli.add_parser(commands)
    report_cli.add_parser(commands)
    period_report_cli.add_parser(commands)
    keys_cli.add_parser(commands)
    return parser


def _configure_logging(settings: Settings, quiet: bool) -> None:
    """In the offline chat only warnings are logged, so the transcript stays readable."""
    logging.basicConfig(
        level=logging.WARNING if quiet else settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logs.install()


def _run(settings: Settings) -> int:
    token = settings.token
    if not token:
        if sys.stdin.isatty():
            return main_chat(settings, interactive=True)
        print(
            "binhdang: BINHDANG_BOT_TOKEN is not set and there is no terminal for the offline "
            "demo; set the token, or use `binhdang chat` to script a conversation.",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        return asyncio.run(_serve(settings, token))
    except AlreadyRunning as exc:
        print(f"binhdang: {exc}", file=sys.stderr)
        return 1


async def _serve(settings: Settings, token: str) -> int:
    """One bot process (bot.runtime), until SIGTERM or SIGINT."""
    services = Services.from_settings(settings)
    root = settings.api_base_url
    application = build_application(
        services,
        token=token,
        base_url=f"{root}/bot" if root else None,
        base_file_url=f"{root}/file/bot" if root else None,
    )
    assert isinstance(application, TrackedApplication)
    runtime = ProcessRuntime(services, application)
    runtime.file_lock.acquire()  # SQLite: a second process is refused before it migrates
    await prepare_database(services)
    settle_memory()
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    try:
        async with runtime:
            await stopping.wait()
    finally:
        await services.engine.dispose()
    return 0


async def _db_upgrade(settings: Settings) -> None:
    services = Services.from_settings(settings)
    await migrate.upgrade(services.engine)
    await services.engine.dispose()


async def _units_import(settings: Settings) -> tuple[int, int]:
    services = Services.from_settings(settings)
    await migrate.upgrade(services.engine)
    async with services.sessions.begin() as session:
        result = await units.import_official_tree(session)
    await services.engine.dispose()
    return result


async def _villages_import(settings: Settings, path: Path) -> int:
    """All rows or none: a bad row stops the import and names its line."""
    services = Services.from_settings(settings)
    await prepare_database(services)
    added = 0
    try:
        async with services.sessions.begin() as session:
            with path.open(newline="", encoding="utf-8-sig") as fp:
                for line, row in enumerate(csv.DictReader(fp), start=2):
                    commune = await units.get_by_code(
                        session, (row.get("commune_code") or "").strip()
                    )
                    name = (row.get("name") or "").strip()
                    if commune is None or commune.level is not UnitLevel.COMMUNE:
                        raise ValueError(
                            f"line {line}: unknown commune code {row.get('commune_code')!r}"
                        )
                    if not name or len(name) > 120:
                        raise ValueError(f"line {line}: a village name has 1 to 120 characters")
                    if starts_like_formula(name):
                        raise ValueError(f"line {line}: a village name cannot start with = + - @")
                    await units.add_village(session, commune, name)
                    added += 1
    finally:
        await services.engine.dispose()
    return added


async def _group(settings: Settings, name: str, codes: list[str]) -> int:
    services = Services.from_settings(settings)
    await prepare_database(services)
    try:
        async with services.sessions.begin() as session:
            communes = []
            for code in codes:
                unit = await units.get_by_code(session, code)
                if unit is None or unit.level is not UnitLevel.COMMUNE:
                    raise ValueError(f"{code!r} is not the code of a commune")
                communes.append(unit)
            group = await units.create_group(session, name, None, communes)
            return group.id
    finally:
        await services.engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"binhdang: {exc}", file=sys.stderr)
        return EXIT_USAGE
    _configure_logging(
        settings,
        quiet=(args.command in ("chat", "run") and not settings.token) or args.command == "report",
    )
    if args.command in ("run", "chat"):
        try:  # before anything opens the database
            SingleProcessLock(settings.database_url).acquire()
        except AlreadyRunning as exc:
            print(f"binhdang: {exc}", file=sys.stderr)
            return 1
        if keys_cli.refuse_wrong_key(settings):
            return 1
    if args.command == "run":
        return _run(settings)
    if args.command == "chat":
        return main_chat(settings)
    if args.command == "keys":
        return keys_cli.run(settings, args)
    if args.command == "db":
        asyncio.run(_db_upgrade(settings))
        print("database is up to date")
        return 0
    if args.command in ("addresses", "hotlines", "committees"):
        return directory_cli.run(settings, args)
    if args.command == "report":
        return report_cli.run(settings, args)
    if args.command == "registers":
        return registers_cli.run(settings, args)
    if args.command == "period-report":
        return period_report_cli.run(settings, args)
    if args.units_command == "import":
        added, renamed = asyncio.run(_units_import(settings))
        print(f"units: {added} added, {renamed} renamed")
        return 0
    if args.units_command == "group":
        try:
            group_id = asyncio.run(_group(settings, args.name, args.codes))
        except ValueError as exc:
            print(f"binhdang: {exc}; no group was created", file=sys.stderr)
            return 1
        print(f"group {group_id}: {args.name}, {len(args.codes)} communes")
        return 0
    try:
        added = asyncio.run(_villages_import(settings, args.file))
    except (OSError, ValueError) as exc:
        print(f"binhdang: {exc}; nothing was imported", file=sys.stderr)
        return 1
    print(f"villages: {added} added or already present")
    return 0


if __name__ == "__main__":
    sys.exit(main())
