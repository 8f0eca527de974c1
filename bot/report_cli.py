"""``binhdang report``: wires settings, the database and a translator to
``storage.reports.command``, where the work is."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.i18n import translator
from bot.services import Services
from bot.settings import Settings
from storage import migrate
from storage.reports import command
from storage.reports.periods import ReportCalendar, parse_month_day

add_parser = command.add_parser


async def _report(settings: Settings, args: argparse.Namespace) -> str:
    services = Services.from_settings(settings)
    try:
        await migrate.upgrade(services.engine)
        request = command.request_of(args, settings.default_language)
        return await command.run(
            services.sessions,
            request,
            translator(request.lang),
            zone=settings.zone,
            calendar=ReportCalendar(parse_month_day(settings.report_half_year_end)),
            now=services.clock(),
            rebuild=args.rebuild_rollups,
        )
    finally:
        await services.engine.dispose()


def run(settings: Settings, args: argparse.Namespace) -> int:
    try:
        done = asyncio.run(_report(settings, args))
    except command.ReportError as error:
        print(f"binhdang report: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"binhdang report: {error}", file=sys.stderr)
        return 1
    if done:
        print(done, file=sys.stderr)
    return 0
