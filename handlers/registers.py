"""/registers: a coordinator sees the teams, clubs, livelihood groups and
trusted addresses registered under their unit, downloads them as CSV, and
changes them by sending the CSV back as a document with the caption
/registers (the format is in storage/registers/csvfile.py and
docs/registers.md). Stateless: no draft to lose."""

from __future__ import annotations

import io

from telegram import InputFile, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.context import BotContext
from bot.i18n import Translator
from handlers.ui import esc, keyboard, reply
from storage import registers
from storage.models import MemberRole, RegisterKind, RegisterStatus
from storage.registers import EntryView, RegisterImportError
from storage.reports import areas
from storage.reports.labels import (
    REGISTER_EVENT_NAMES,
    REGISTER_NAMES,
    REGISTER_STATUS_NAMES,
)

MAX_CSV_BYTES = 500_000
MAX_LINES = 40  # a list longer than this is in the CSV file
CAPTION = filters.CaptionRegex(r"^/registers(?:@\w+)?\s*$")


def entry_line(t: Translator, entry: EntryView) -> str:
    """``• CLB trường THCS (Thôn 1) — established 15/03/2024, active, 4 members``;
    a trusted address also says which directory row it is (or that it has none)."""
    parts = [f"{entry.name} ({entry.place})"]
    if entry.events:
        event, on, _note = entry.events[-1]
        parts.append(f"{t(REGISTER_EVENT_NAMES[event])} {t.date(on)}")
    if entry.status is not RegisterStatus.ACTIVE:
        parts.append(t(REGISTER_STATUS_NAMES[entry.status]))
    if entry.shelters:
        parts.append(t("also shelters people"))
    if entry.kind is RegisterKind.TRUSTED_ADDRESS:
        if entry.address_id is None:
            parts.append(t("not in the directory"))
        elif entry.address_name and entry.address_name != entry.name:
            parts.append(
                t("directory no. {id}: {name}").format(id=entry.address_id, name=entry.address_name)
            )
        else:
            parts.append(t("directory no. {id}").format(id=entry.address_id))
    if entry.members:
        leaders = [n for r, n in entry.members if n and r is MemberRole.LEADER]
        parts.append(
            t.ngettext("{n} member", "{n} members", len(entry.members)).format(
                n=t.number(len(entry.members))
            )
            + (f" ({leaders[0]})" if leaders else "")
        )
    return "• " + " — ".join(parts)


def listing(t: Translator, place: str, found: list[EntryView]) -> str:
    title = t("Registers of {place}").format(place=place)
    lines = [f"<b>{esc(title)}</b>"]
    if not found:
        lines.append(esc(t("Nothing registered yet.")))
    shown = 0
    for kind in RegisterKind:
        mine = [e for e in found if e.kind is kind]
        if not mine:
            continue
        name = t(REGISTER_NAMES[kind])
        lines += ["", f"<b>{esc(name)}: {t.number(len(mine))}</b>"]
        for entry in mine:
            if shown < MAX_LINES:
                lines.append(esc(entry_line(t, entry)))
            shown += 1
    if shown > MAX_LINES:
        lines.append(
            esc(t("… and {n} more in the CSV file.").format(n=t.number(shown - MAX_LINES)))
        )
    lines += [
        "",
        esc(
            t(
                "To add or change entries: download the CSV file, edit it, and send it back as a document with the caption /registers."
            )
        ),
    ]
    return "\n".join(lines)


async def show(update: Update, context: BotContext) -> None:
    t = context.t
    try:
        async with context.services.sessions() as session:
            area, found = await registers.entries_for(session, context.profile)
            place = await areas.describe(session, area)
    except registers.RegisterRefused:
        await reply(update, t("Only coordinators can manage the registers."))
        return
    await reply(update, listing(t, place, found), keyboard([[(t("📥 CSV file"), "rg:csv")]]))


async def csv_pressed(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    t = context.t
    try:
        async with context.services.sessions() as session:
            area, text = await registers.export_for(session, context.profile)
    except registers.RegisterRefused:
        await query.answer(t("That button is no longer valid."))
        return
    await query.answer()
    chat = update.effective_chat
    assert chat is not None
    data = io.BytesIO(("\ufeff" + text).encode("utf-8"))
    await chat.send_document(InputFile(data, filename=f"registers-{area.id}.csv"))


def _problem(t: Translator, error: RegisterImportError) -> str:
    reasons = {
        "header": t("the first line must name the columns; missing: {detail}"),
        "unknown_kind": t("unknown register “{detail}”"),
        "unknown_place": t("no commune or village has the code “{detail}”"),
        "unknown_role": t("unknown role “{detail}”"),
        "unknown_event": t("unknown event “{detail}”"),
        "bad_date": t("“{detail}” is not a date like 15/03/2024"),
        "not_allowed": t("that place is not under yours"),
        "too_many_rows": t("at most {detail} lines"),
        "unknown_address": t("no trusted address in the directory has the number “{detail}”"),
        "address_taken": t("the directory's address no. {detail} is already another entry's"),
        "address_only_for_trusted": t("only a trusted address (dctc) names a directory row"),
    }
    reason = reasons.get(error.code, t("a value is missing or out of range")).format(
        detail=error.detail
    )
    return t(
        "Line {line}: {reason}. Nothing was imported; correct the file and send it again."
    ).format(line=error.line, reason=reason)


async def csv_received(update: Update, context: BotContext) -> None:
    t = context.t
    message = update.effective_message
    assert message is not None and message.document is not None
    try:
        if context.profile is None:
            raise registers.RegisterRefused()
        async with context.services.sessions() as session:
            await registers.area_for(session, context.profile)
    except registers.RegisterRefused:
        await reply(update, t("Only coordinators can manage the registers."))
        return
    if (message.document.file_size or 0) > MAX_CSV_BYTES:
        await reply(update, t("That file is too large for a register (at most 500 kB)."))
        return
    raw = bytes(await (await message.document.get_file()).download_as_bytearray())
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        await reply(update, t("Please save the file as CSV in UTF-8 and send it again."))
        return
    try:
        async with context.services.sessions.begin() as session:
            done = await registers.import_csv(
                session, context.profile, text, context.services.clock()
            )
    except RegisterImportError as error:
        await reply(update, esc(_problem(t, error)))
        return
    await reply(
        update,
        t(
            "Imported: {created} new entries, {updated} updated. Send /registers to see them."
        ).format(created=t.number(done.created), updated=t.number(done.updated)),
    )


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CommandHandler("registers", show))
    application.add_handler(CallbackQueryHandler(csv_pressed, pattern=r"^rg:csv$"))
    application.add_handler(MessageHandler(filters.Document.ALL & CAPTION, csv_received))
