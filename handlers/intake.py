"""/intake: the staff of a trusted address that shelters people (or a
coordinator of its commune) records that someone was taken in, in one line,
with no name:

    /intake DATE NIGHTS SUPPORT [BD-CODE] [cg:WHERE TO...]
    /intake 20/11 3 tl,tv,yt BD-7K3Q cg:Bệnh viện huyện

SUPPORT codes: tl shelter, tv counselling, yt medical, pl legal, cg referral.
With more than one sheltering address, ``@2`` (its number in /intake's list)
says which. The command message is deleted once read: the referral and the
incident code are kept only encrypted. Stateless: nothing to lose."""

from __future__ import annotations

import contextlib
import logging

from pydantic import ValidationError
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, CommandHandler

from bot.context import BotContext
from bot.i18n import Translator, translator
from handlers.alerts import cipher_of, committee_line, wake_sender
from handlers.ui import esc, reply
from storage import shelter
from storage.activities import ActivityProblem, parse_date
from storage.incidents import art36
from storage.reports.labels import SUPPORT_NAMES
from storage.shelter import SUPPORT_CODES, IntakeError, IntakeInput, Support
from storage.text import fold

log = logging.getLogger(__name__)

_BY_CODE = {code: support for support, code in SUPPORT_CODES.items()}


def _help(t: Translator, names: list[str]) -> str:
    lines = [
        t(
            "Record that someone was taken in (no name): /intake DATE NIGHTS SUPPORT [BD-CODE] [cg:WHERE TO]\nFor example: /intake 20/11 3 tl,tv,yt BD-7K3Q cg:Bệnh viện huyện\nSupport: tl shelter, tv counselling, yt medical care, pl legal aid, cg referral."
        )
    ]
    if len(names) > 1:
        lines.append(t("Your addresses (add @NUMBER to choose):"))
        lines += [f"@{n} {name}" for n, name in enumerate(names, start=1)]
    return "\n".join(lines)


def _support(text: str) -> frozenset[Support] | None:
    found = set()
    for part in text.replace(";", ",").split(","):
        if not part.strip():
            continue
        support = _BY_CODE.get(fold(part))
        if support is None:
            return None
        found.add(support)
    return frozenset(found) if found else None


async def intake(update: Update, context: BotContext) -> None:
    t = context.t
    profile = context.profile
    message = update.effective_message
    if profile is None or message is None or message.text is None:
        return
    parts = message.text.split(maxsplit=4)
    if len(parts) > 1:
        # Whatever was typed (a referral, a code), it is not left in the chat.
        with contextlib.suppress(TelegramError):
            await message.delete()
    async with context.services.sessions() as session:
        places = await shelter.shelters_for(session, profile)
    if not places:
        await reply(
            update,
            t(
                "Only the staff of a trusted address that shelters people, or its coordinators, can record intakes."
            ),
        )
        return
    cipher = cipher_of(context.services.settings)
    if cipher is None:
        await reply(update, t("Intakes cannot be recorded: the bot has no secret key set."))
        return
    words = parts[1:4]
    names = [p.name for p in places]
    if len(words) < 3:
        await reply(update, esc(_help(t, names)))
        return
    # After "cg:" the rest of the line is where the person was referred to.
    head, marker, after = (parts[4] if len(parts) > 4 else "").partition("cg:")
    referral = after.strip() or None if marker else None
    chosen = places[0] if len(places) == 1 else None
    code: str | None = None
    for token in head.split():
        number = token[1:]
        if token.startswith("@") and number.isdigit() and 1 <= int(number) <= len(places):
            chosen = places[int(number) - 1]
        else:
            code = token
    if chosen is None:
        await reply(update, esc(_help(t, names)))
        return
    today = context.services.clock().astimezone(context.services.settings.zone).date()
    try:
        day = parse_date(words[0], today)
    except ActivityProblem:
        await reply(update, esc(t("“{text}” is not a date like 20/11.").format(text=words[0][:40])))
        return
    support = _support(words[2])
    if not words[1].isdigit() or support is None or day > today:
        await reply(update, esc(_help(t, names)))
        return
    try:
        data = IntakeInput(
            entry_id=chosen.id,
            taken_in_on=day,
            nights=int(words[1]),
            support=support,
            referral_to=referral,
            incident_code=code,
        )
    except ValidationError as error:
        field = str((error.errors()[0].get("loc") or ("",))[0])
        reason = (
            t("That is not an incident code like BD-7K3Q.")
            if field == "incident_code"
            else t("A stay is 0 to 366 nights, and a referral at most 300 characters.")
        )
        await reply(update, esc(reason))
        return
    try:
        async with context.services.sessions.begin() as session:
            done = await shelter.record_intake(
                session,
                profile,
                data,
                cipher,
                # The same message delivered again (after a crash) is recorded once.
                f"intake:{message.chat_id}:{message.message_id}",
                context.services.clock(),
                translator,
            )
    except IntakeError:
        await reply(update, t("That address is not one you can record intakes for."))
        return
    wake_sender(context)
    given = ", ".join(t(SUPPORT_NAMES[s]) for s in Support if s in support)
    recorded = t(
        "Recorded: intake TN-{id} at {place}, {day}, {nights} night(s); support: {support}."
    ).format(
        id=done.intake_id,
        place=chosen.name,
        day=t.date(day),
        nights=t.number(data.nights),
        support=given,
    )
    lines = [esc(recorded)]
    notice = done.notice
    given_now = (art36.Art36Result.SENT, art36.Art36Result.ALREADY)
    if notice is not None and notice.result in given_now:
        told = t(
            "📨 Notice under Art. 36 recorded with it. Commune officers told in the bot: {n}."
        ).format(n=notice.informed)
        lines += [esc(told), committee_line(t, notice.committee)]
    else:
        lines.append(
            esc(
                t(
                    "The notice under Art. 36 could not be given from your account: please tell the commune People's Committee directly."
                )
            )
        )
    await reply(update, "\n".join(lines))


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CommandHandler("intake", intake))
