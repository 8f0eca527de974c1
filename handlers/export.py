"""Sending a report as a file (/export and the buttons under a summary): the
XLSX workbook or the CSV of raw activities, written to a temporary file and
sent as a document, unless it is larger than Telegram accepts."""

from __future__ import annotations

import math
import os
import tempfile

from telegram import InputFile, Update

from bot.context import BotContext
from handlers.area_period import compute
from handlers.ui import esc
from storage.reports import exports
from storage.reports.areas import Area
from storage.reports.periods import Period
from storage.reports.render import period_name
from storage.text import fold

# The Bot API refuses documents over 50 MB; a larger file is not sent.
MAX_UPLOAD_BYTES = 50_000_000
MEGABYTE = 1_000_000


def file_name(area: Area, period: Period, extension: str) -> str:
    """``bao-cao_xa-tra-bong_2024H1.xlsx``: ASCII, so every phone can save it."""
    place = "-".join(fold(area.name).split()) or "viet-nam"
    return f"bao-cao_{place}_{period.code.replace(':', '_')}.{extension}"


async def send_export(
    update: Update, context: BotContext, area: Area, period: Period, choice: str
) -> None:
    """``choice`` is ``x`` (XLSX) or ``c`` (CSV)."""
    t = context.t
    chat = update.effective_chat
    assert chat is not None
    await chat.send_action("upload_document")
    report = await compute(context, area, period, with_children=choice == "x")
    extension = "xlsx" if choice == "x" else "csv"
    with tempfile.TemporaryFile() as out:
        async with context.services.sessions() as session:
            if choice == "x":
                rows = await exports.write_xlsx(session, report, out, t)
            else:
                rows = await exports.write_csv(session, report, out, t)
        size = out.seek(0, os.SEEK_END)
        if size > MAX_UPLOAD_BYTES:
            await chat.send_message(
                t(
                    "The file is {size} MB, more than Telegram lets a bot send ({limit} MB). Choose a shorter period or a smaller area, or make the report on a computer with the command “binhdang report”."
                ).format(
                    size=t.number(math.ceil(10 * size / MEGABYTE) / 10),
                    limit=t.number(MAX_UPLOAD_BYTES // MEGABYTE),
                )
            )
            return
        out.seek(0)
        caption = t("{place} · {period} · {n} activities").format(
            place=esc(report.summary.place_name),
            period=esc(period_name(period, t)),
            n=t.number(rows),
        )
        await chat.send_document(
            InputFile(out, filename=file_name(area, period, extension)), caption=caption[:1024]
        )
