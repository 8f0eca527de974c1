"""``binhdang keys rotate``, and the key check before ``run`` and ``chat``
(``storage.incidents.keys``): a wrong or changed ``BINHDANG_SECRET_KEY`` stops
the start with one line."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from bot.app import prepare_database
from bot.services import Services
from bot.settings import Settings
from handlers.alerts import cipher_of
from storage.incidents import keys
from storage.reports.command import Progress


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("keys", help="the encryption key of incident reports")
    actions = parser.add_subparsers(dest="keys_command", required=True)
    rotate = actions.add_parser(
        "rotate",
        help="seal every encrypted value under BINHDANG_SECRET_KEY "
        "(the old keys in BINHDANG_OLD_SECRET_KEYS); run it again to resume",
    )
    rotate.add_argument("--batch", type=int, default=keys.BATCH, help="rows per transaction")


async def _verify(settings: Settings) -> str | None:
    services = Services.from_settings(settings)
    try:
        await prepare_database(services)
        async with services.sessions.begin() as session:
            await keys.verify(session, cipher_of(settings), services.clock())
    except keys.KeyProblem as exc:
        return str(exc)
    finally:
        await services.engine.dispose()
    return None


def refuse_wrong_key(settings: Settings) -> bool:
    """Before ``run`` and ``chat``: print the one line and return True when the
    key cannot read the stored reports."""
    problem = asyncio.run(_verify(settings))
    if problem is None:
        return False
    print(f"binhdang: {problem}", file=sys.stderr)
    return True


async def _rotate(settings: Settings, batch: int, progress: Progress) -> keys.Rotated:
    services = Services.from_settings(settings)
    try:
        await prepare_database(services)
        cipher = cipher_of(settings)
        assert cipher is not None
        progress.phase("keys")
        return await keys.rotate(
            services.sessions, cipher, services.clock(), batch=batch, progress=progress.advance
        )
    finally:
        progress.finish()
        await services.engine.dispose()


def run(settings: Settings, args: argparse.Namespace) -> int:
    if cipher_of(settings) is None:
        print("binhdang: BINHDANG_SECRET_KEY is not set: nothing to rotate to", file=sys.stderr)
        return 2
    done = asyncio.run(_rotate(settings, max(1, args.batch), Progress()))
    print(f"keys: {done.rows} rows read, {done.sealed} values sealed under the current key")
    if done.unreadable:
        print(
            f"binhdang: {done.unreadable} values could not be read with any key "
            "(add the key they were stored with to BINHDANG_OLD_SECRET_KEYS and run it again)",
            file=sys.stderr,
        )
        return 1
    return 0
