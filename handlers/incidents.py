"""``/incidents``: the open reports a responder may see now (trusted-address
staff and coordinators), someone in danger first, then the newest, with
danger, age, level and status; each opens as a card with the alert's
buttons. ``/committee``: a commune coordinator reads or sets the contact of
their commune's People's Committee, whom the Art. 36 notice goes to."""

from __future__ import annotations

from babel.dates import format_timedelta
from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.context import BotContext
from bot.i18n import N_, Translator
from handlers.ui import esc, keyboard, reply
from storage.incidents import art36, listing
from storage.incidents.labels import KIND_NAMES, STATUS_NAMES
from storage.incidents.notices import PREFIX
from storage.models import EscalationLevel, Role, Unit, UnitLevel

LEVEL_NAMES = {
    EscalationLevel.COMMUNE: N_("commune"),
    EscalationLevel.PROVINCE: N_("province"),
    EscalationLevel.NATIONAL: N_("national"),
}
RESPONDERS = (
    Role.TRUSTED_ADDRESS_STAFF,
    Role.COMMUNE_COORDINATOR,
    Role.PROVINCE_COORDINATOR,
    Role.ADMIN,
)


def _line(t: Translator, report: listing.OpenReport, age: str) -> str:
    level = t(LEVEL_NAMES[EscalationLevel(min(max(report.level, 0), 2))])
    status = t(STATUS_NAMES[report.status])
    if report.holder:
        status = t("{status} by {name}").format(status=status, name=report.holder)
    head = "🔴 " if report.danger_now else "• "
    return head + t("<b>{code}</b> {kind}, {age} ago, level {level}: {status}").format(
        code=esc(report.code),
        kind=esc(t(KIND_NAMES[report.kind])),
        age=esc(age),
        level=esc(level),
        status=esc(status),
    )


async def incidents_command(update: Update, context: BotContext) -> None:
    t = context.t
    profile = context.profile
    if profile is None or not profile.is_active or profile.role not in RESPONDERS:
        await reply(
            update, t("Only trusted-address staff and coordinators can see the open reports.")
        )
        return
    services = context.services
    now = services.clock()
    async with services.sessions() as session:
        reports = await listing.open_reports(session, profile)
    if not reports:
        await reply(update, t("No open report for you at the moment."))
        return
    lines = [t("<b>Open reports you can act on</b> (someone in danger first, then the newest):")]
    buttons = []
    for report in reports:
        age = format_timedelta(now - report.reported_at, locale=t.lang, threshold=1.5)
        lines.append(_line(t, report, age))
        label = ("🔴 " if report.danger_now else "📄 ") + report.code
        buttons.append([(label, f"{PREFIX}:card:{report.id}")])
    await reply(update, "\n".join(lines), keyboard(buttons))


async def committee_command(update: Update, context: BotContext) -> None:
    """``/committee`` shows the contact; ``/committee name; phone; email;
    address`` sets it (commune coordinators, for their commune)."""
    t = context.t
    profile = context.profile
    usage = t(
        "Send /committee followed by the People's Committee's name; phone; email; address, separated by “;”. For example: /committee UBND xã Trà Bồng; 0255 3123 456; ; thôn 1"
    )
    if (
        profile is None
        or not profile.is_active
        or profile.role is not Role.COMMUNE_COORDINATOR
        or profile.unit_id is None
    ):
        await reply(
            update, t("Only commune coordinators can keep their People's Committee's contact.")
        )
        return
    services = context.services
    text = " ".join(context.args or []).strip()
    async with services.sessions.begin() as session:
        commune = await session.get(Unit, profile.unit_id)
        assert commune is not None and commune.level is UnitLevel.COMMUNE
        if not text:
            committee = await art36.committee_of(session, commune)
        else:
            parts = [p.strip() for p in text.split(";")] + ["", "", "", ""]
            data = art36.CommitteeData(*parts[:4])
            try:
                committee = await art36.set_committee(
                    session, profile, commune.id, data, services.clock()
                )
            except art36.CommitteeError as error:
                reasons = {
                    "too_long": t("Not kept: a value is too long."),
                    "formula": t(
                        "Not kept: a value may not start with =, +, - or @ (a spreadsheet would read it as a formula)."
                    ),
                }
                reason = reasons.get(error.code)
                await reply(update, f"{esc(reason)}\n{usage}" if reason else usage)
                return
    if committee is None:
        await reply(update, usage)
        return
    if not committee.known:
        head = t("No contact is kept yet for the People's Committee of {commune}.").format(
            commune=esc(committee.commune_name)
        )
        await reply(update, f"{head}\n{usage}")
        return
    lines = [
        t("<b>People's Committee of {commune}</b>").format(commune=esc(committee.commune_name)),
        esc(committee.name or "—"),
    ]
    if committee.phone:
        lines.append(f"📞 {esc(committee.phone)}")
    if committee.email:
        lines.append(f"✉ {esc(committee.email)}")
    if committee.address:
        lines.append(f"🏠 {esc(committee.address)}")
    lines.append(usage)
    await reply(update, "\n".join(lines))


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CommandHandler("incidents", incidents_command))
    application.add_handler(CommandHandler("committee", committee_command))
