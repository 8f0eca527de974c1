"""What a report is about, chosen the same way by /summary (and /export) and
/targets: the area (the coordinator's own, one of their groups of communes,
the whole country for an administrator, or a place typed by name), the local
day that periods and years count from, and the report of an area for a
period."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, MessageHandler, filters

from bot.context import BotContext
from handlers.flow import draft, drop_draft
from handlers.kit import BUTTONS, guards, pressed_data, remember_buttons, typed_button
from handlers.ui import Button, advance, esc, keyboard, reply, text_of
from storage import units
from storage.models import UnitLevel
from storage.reports import areas, periods
from storage.reports.areas import Area
from storage.reports.periods import Period
from storage.reports.report import Report, build_report

MAX_AREA_BUTTONS = 8
Step = Callable[[Update, BotContext], Awaitable[str]]


def today(context: BotContext) -> date:
    return periods.local_day(context.services.clock(), context.services.settings.zone)


async def compute(
    context: BotContext, area: Area, period: Period, *, with_children: bool = False
) -> Report:
    settings = context.services.settings
    async with context.services.sessions() as session:
        return await build_report(
            session,
            area,
            period,
            today=today(context),
            zone=settings.zone,
            with_children=with_children,
        )


async def chosen_area(context: BotContext, token: str) -> Area | None:
    """The area of a pressed button, if it exists and the user may see it."""
    profile = context.profile
    assert profile is not None
    async with context.services.sessions() as session:
        area = await areas.resolve(session, token)
        if area is None or not await areas.may_see(session, profile, area):
            return None
    return area


@dataclass(frozen=True)
class AreaStep:
    """The area of the draft ``key`` (under ``"area"``, as a token) and the
    step that changes it. Callback data: ``<prefix>:area`` opens the step,
    ``<prefix>:a:<token>`` chooses, ``<prefix>:back`` goes back (the
    conversation handles it, since its other steps have the same button).
    ``then`` is asked once an area is chosen."""

    key: str
    prefix: str
    step: str
    then: Step

    async def current(self, context: BotContext) -> Area | None:
        """The area in the draft, or the coordinator's own; ``None`` if it is
        gone or no longer allowed."""
        profile = context.profile
        assert profile is not None
        state = draft(context, self.key)
        async with context.services.sessions() as session:
            token = state.get("area")
            area = await areas.resolve(session, token) if isinstance(token, str) else None
            if area is None or not await areas.may_see(session, profile, area):
                area = await areas.default_area(session, profile)
        if area is not None:
            state["area"] = area.token
        return area

    async def required(self, update: Update, context: BotContext) -> Area | None:
        """As :meth:`current`, but a ``None`` is explained to the user."""
        area = await self.current(context)
        if area is None:
            await reply(
                update, context.t("Your account has no area to report on. Ask an administrator.")
            )
        return area

    async def begin(
        self, update: Update, context: BotContext, refusal: str, **values: object
    ) -> bool:
        """A fresh draft holding ``values``, for a coordinator with an area to
        report on; otherwise say why (``refusal`` to one who is not a
        coordinator) and return False."""
        profile = context.profile
        if profile is None or not profile.is_coordinator:
            await reply(update, refusal)
            return False
        drop_draft(context, self.key)
        draft(context, self.key).update(values)
        if await self.required(update, context) is None:
            drop_draft(context, self.key)
            return False
        return True

    def button(self, context: BotContext) -> Button:
        """The button that opens the step, and its handler."""
        return (context.t("📍 Other area"), f"{self.prefix}:area")

    def opener(self) -> CallbackQueryHandler[BotContext, Any]:
        return CallbackQueryHandler(self._opened, pattern=rf"^{self.prefix}:area$")

    async def ask(self, update: Update, context: BotContext) -> str:
        draft(context, self.key)["step"] = self.step
        markup = keyboard(await self._rows(context))
        remember_buttons(draft(context, self.key), markup)
        await reply(
            update,
            context.t("Choose an area, or type the name of a commune or village under yours:"),
            markup,
        )
        return self.step

    async def typed(self, update: Update, context: BotContext) -> str:
        """A place's name to search; or a button's label typed: an area
        listed chooses it, "◀ Back" goes back to ``then``."""
        text = text_of(update)
        data = typed_button(update, draft(context, self.key).get(BUTTONS))
        if data is not None and data.startswith(f"{self.prefix}:a:"):
            return await self.chosen(update, context)
        if data == f"{self.prefix}:back":
            return await self.then(update, context)
        rows = await self._search(context, text)
        if not rows:
            await reply(
                update,
                context.t("No place under your area matches “{text}”. Type it again.").format(
                    text=esc(text[:40])
                ),
            )
            return await self.ask(update, context)
        rows.append([(context.t("◀ Back"), f"{self.prefix}:back")])
        remember_buttons(draft(context, self.key), keyboard(rows))
        await reply(update, context.t("Which one?"), keyboard(rows))
        return self.step

    async def chosen(self, update: Update, context: BotContext) -> str:
        data = pressed_data(update)  # pressed, or its label typed
        assert data is not None
        area = await chosen_area(context, data.split(":", 2)[2])
        if area is None:
            return await self.ask(update, context)
        draft(context, self.key)["area"] = area.token
        return await advance(update, area.name, self.then(update, context))

    async def _opened(self, update: Update, context: BotContext) -> str:
        return await advance(update, None, self.ask(update, context))

    def handlers(self) -> list[BaseHandler[Update, BotContext, Any]]:
        """The step's handlers, after the conversation's own back button."""
        return [
            CallbackQueryHandler(self.chosen, pattern=rf"^{self.prefix}:a:"),
            MessageHandler(filters.TEXT & ~filters.COMMAND, self.typed),
            *guards(self.ask, expects_text=True),
        ]

    async def _rows(self, context: BotContext) -> list[list[Button]]:
        """The coordinator's own area, their groups of communes and, for an
        administrator, the whole country."""
        t = context.t
        profile = context.profile
        assert profile is not None
        rows: list[list[Button]] = []
        async with context.services.sessions() as session:
            own = await areas.default_area(session, profile)
            groups = await areas.visible_groups(session, profile)
        if profile.is_admin:
            rows.append([(t("🇻🇳 Whole country"), f"{self.prefix}:a:n")])
        elif own is not None:
            rows.append([(own.name, f"{self.prefix}:a:{own.token}")])
        for group in groups[:MAX_AREA_BUTTONS]:
            rows.append([(f"👥 {group.name}", f"{self.prefix}:a:{group.token}")])
        rows.append([(t("◀ Back"), f"{self.prefix}:back")])
        return rows

    async def _search(self, context: BotContext, text: str) -> list[list[Button]]:
        """Units under the coordinator's own unit whose name matches ``text``."""
        profile = context.profile
        assert profile is not None
        async with context.services.sessions() as session:
            within = None
            if not profile.is_admin and profile.unit_id is not None:
                within = await units.get_unit(session, profile.unit_id)
            hits = []
            for level in (UnitLevel.PROVINCE, UnitLevel.COMMUNE, UnitLevel.VILLAGE):
                hits += await units.search(session, text, level=level, within=within, limit=6)
        rows = []
        for hit in hits[:MAX_AREA_BUTTONS]:
            where = ", ".join(p for p in (hit.name, hit.commune_name, hit.province_name) if p)
            rows.append([(where[:60], f"{self.prefix}:a:u{hit.id}")])
        return rows
