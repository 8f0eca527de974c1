"""Targets (/targets): a coordinator sees the targets (chỉ tiêu) of their area
for a year with what is achieved so far, adds one step by step (a budget of a
funding source and the targets that count register entries too), removes one,
or imports a CSV file of them (the format is in docs/reports.md). At every
button step, a button's label typed counts as pressing it."""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Coroutine
from datetime import date
from typing import Any, TypeVar

from pydantic import ValidationError
from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.context import BotContext
from bot.i18n import Translator
from handlers.area_period import AreaStep, Step, today
from handlers.flow import draft, drop_draft
from handlers.kit import (
    BUTTONS,
    Ask,
    fallbacks,
    guards,
    match_label,
    pressed_data,
    remember_buttons,
)
from handlers.ui import Button, advance, columns, esc, keyboard, reply, text_of
from storage.activities import ActivityProblem
from storage.activities.rules import parse_amount
from storage.models import (
    ActivityKind,
    FundingSource,
    Indicator,
    ParticipantField,
    RegisterKind,
    Topic,
)
from storage.reports import targets
from storage.reports.areas import Area, AreaKind
from storage.reports.labels import (
    FIELD_NAMES,
    FUNDING_NAMES,
    INDICATOR_NAMES,
    KIND_NAMES,
    REGISTER_NAMES,
    TOPIC_NAMES,
)
from storage.reports.render import day, spec_name, target_line
from storage.reports.targets import Spec, TargetError, TargetInput

KEY = "tgt"
VIEW, AREA, INDICATOR, KIND, KEYWORD, TOPIC, FIELD = (
    "VIEW",
    "AREA",
    "INDICATOR",
    "KIND",
    "KEYWORD",
    "TOPIC",
    "FIELD",
)
POPULATION, VALUE, LABEL, REMOVE, IMPORT = "POPULATION", "VALUE", "LABEL", "REMOVE", "IMPORT"
SOURCE, REGISTER = "SOURCE", "REGISTER"  # a budget's funding source; a register's kind
MAX_CSV_BYTES = 200_000
# Kinds whose sessions differ enough that a plan counts them by name
# ("Chương trình 3", "giám sát và đánh giá").
KEYWORD_KINDS = (ActivityKind.TRAINING, ActivityKind.OTHER, ActivityKind.LIVELIHOOD)
E = TypeVar("E", bound=enum.Enum)


def _data(update: Update) -> str:
    """The pressed button's data, or that of the button whose label was typed."""
    return pressed_data(update) or ""


def _arg(update: Update) -> str:
    parts = _data(update).split(":", 2)
    return parts[2] if len(parts) == 3 else ""


def _remembered(context: BotContext) -> object:
    """The buttons of the last question, for a label typed (``kit.guards``)."""
    return draft(context, KEY).get(BUTTONS)


Press = Callable[[Update, BotContext], Coroutine[Any, Any, Any]]


def _router(*routes: tuple[str, Press]) -> Press:
    """A step's buttons as one handler, for a label typed: the first route
    whose pattern the button's data matches."""

    async def press(update: Update, context: BotContext) -> Any:
        data = _data(update)
        for pattern, handler in routes:
            if re.match(pattern, data):
                return await handler(update, context)
        return None

    return press


def _choice(update: Update, kind: type[E]) -> E | None:
    """The pressed button's value as a ``kind``; ``None`` if forged or stale."""
    try:
        return kind(_arg(update))
    except ValueError:
        return None


def _new(context: BotContext) -> dict[str, Any]:
    state = draft(context, KEY)
    value = state.setdefault("new", {})
    assert isinstance(value, dict)
    return value


def _settable(area: Area) -> bool:
    return area.kind is not AreaKind.COUNTRY


# Entry and the view.
async def start(update: Update, context: BotContext) -> str | int:
    refusal = context.t("Only coordinators can set targets.")
    if not await AREA_STEP.begin(update, context, refusal, year=today(context).year):
        return ConversationHandler.END
    return await ask_view(update, context)


async def ask_view(update: Update, context: BotContext) -> str:
    state = draft(context, KEY)
    state["step"] = VIEW
    state.pop("new", None)
    t = context.t
    area = await AREA_STEP.required(update, context)
    if area is None:
        return VIEW
    year = int(state.get("year") or today(context).year)
    as_of = min(today(context), date(year, 12, 31))
    async with context.services.sessions() as session:
        report = await targets.progress(session, area, year, as_of)
        own = await targets.targets_of(session, area, year)
    title = t("Targets {year} of {area}").format(year=year, area=area.name)
    lines = [
        f"<b>{esc(title)}</b>",
        esc(t("Achieved from 1 January to {date}").format(date=day(as_of, t))),
        "",
    ]
    if report.lines:
        lines += [esc(target_line(line, t)) for line in report.lines]
    else:
        lines.append(esc(t("No targets yet.")))
    if not _settable(area):
        lines += ["", esc(t("Targets are set for a province, a commune or a group of communes."))]
    rows: list[list[tuple[str, str]]] = []
    if _settable(area):
        rows.append([(t("➕ Add a target"), "tg:add"), (t("📥 Import a CSV file"), "tg:csv")])
        if own:
            rows.append([(t("🗑 Remove a target"), "tg:rm")])
    rows.append(
        [
            (f"◀ {year - 1}", f"tg:y:{year - 1}"),
            AREA_STEP.button(context),
            (f"{year + 1} ▶", f"tg:y:{year + 1}"),
        ]
    )
    rows.append([(t("✅ Done"), "tg:done")])
    remember_buttons(state, keyboard(rows))
    await reply(update, "\n".join(lines)[:4000], keyboard(rows))
    return VIEW


async def year_chosen(update: Update, context: BotContext) -> str:
    value = _arg(update)
    if value.isdigit() and 2000 <= int(value) <= 2100:
        draft(context, KEY)["year"] = int(value)
    return await advance(update, value, ask_view(update, context))


async def done(update: Update, context: BotContext) -> int:
    drop_draft(context, KEY)
    await advance(
        update,
        context.t("✅ Done"),
        reply(update, context.t("Done. Send /summary to see the figures.")),
    )
    return ConversationHandler.END


# Another area.
AREA_STEP = AreaStep(KEY, "tg", AREA, then=ask_view)


async def back(update: Update, context: BotContext) -> str:
    return await advance(update, None, ask_view(update, context))


async def area_pressed(update: Update, context: BotContext) -> str:
    """The other-area button's label typed at the view (pressed, the area
    step's own opener answers)."""
    return await advance(update, None, AREA_STEP.ask(update, context))


# Adding: indicator → kind (→ keyword) or topic → field → population → value → label;
# a budget: indicator → source → amount → label; a register target: indicator →
# register → value → label.
async def _ask(
    update: Update, context: BotContext, step: str, question: str, rows: list[list[Button]] | None
) -> str:
    state = draft(context, KEY)
    state["step"] = step
    state.pop(BUTTONS, None)
    markup = keyboard(rows) if rows is not None else None
    remember_buttons(state, markup)
    await reply(update, question, markup)
    return step


async def _text_typed(
    update: Update, context: BotContext, name: str, longest: int, ask: Step, then: Step
) -> str:
    """The typed text (spaces folded), of 1 to ``longest`` characters, becomes
    the new target's ``name``; otherwise the step is asked again."""
    text = " ".join(text_of(update).split())
    if not text or len(text) > longest:
        await reply(update, context.t("Please type 1 to {max} characters.").format(max=longest))
        return await ask(update, context)
    _new(context)[name] = text
    return await then(update, context)


async def ask_indicator(update: Update, context: BotContext) -> str:
    t = context.t
    rows = [[(t(INDICATOR_NAMES[i]), f"tg:i:{i.value}")] for i in Indicator]
    rows.append([(t("◀ Back"), "tg:back")])
    return await _ask(update, context, INDICATOR, t("What does the target count?"), rows)


async def add_pressed(update: Update, context: BotContext) -> str:
    area = await AREA_STEP.current(context)
    if area is None or not _settable(area):
        return await advance(update, None, ask_view(update, context))
    return await advance(update, None, ask_indicator(update, context))


async def indicator_chosen(update: Update, context: BotContext) -> str:
    indicator = _choice(update, Indicator)
    if indicator is None:  # a forged button
        return await ask_indicator(update, context)
    draft(context, KEY)["new"] = {"indicator": indicator.value}
    label = context.t(INDICATOR_NAMES[indicator])
    if indicator is Indicator.BUDGET:
        return await advance(update, label, ask_source(update, context))
    if indicator in targets.REGISTER_INDICATORS:
        return await advance(update, label, ask_register(update, context))
    if indicator is Indicator.TRUSTED_ADDRESSES:
        return await advance(update, label, ask_value(update, context))
    if indicator is Indicator.SHARE:
        return await advance(update, label, ask_topic(update, context))
    return await advance(update, label, ask_kind(update, context))


async def ask_source(update: Update, context: BotContext) -> str:
    t = context.t
    rows = [[(t(FUNDING_NAMES[f]), f"tg:s:{f.value}")] for f in FundingSource]
    rows.append([(t("Any source"), "tg:s:any")])
    return await _ask(update, context, SOURCE, t("A budget of which funding source?"), rows)


async def source_chosen(update: Update, context: BotContext) -> str:
    t = context.t
    value = _arg(update)
    if value == "any":
        _new(context)["source"] = None
        return await advance(update, t("Any source"), ask_value(update, context))
    source = _choice(update, FundingSource)
    if source is None:
        return await ask_source(update, context)
    _new(context)["source"] = source.value
    return await advance(update, t(FUNDING_NAMES[source]), ask_value(update, context))


async def ask_register(update: Update, context: BotContext) -> str:
    t = context.t
    rows = [[(t(REGISTER_NAMES[k]), f"tg:g:{k.value}")] for k in RegisterKind]
    return await _ask(update, context, REGISTER, t("Entries of which register?"), rows)


async def register_chosen(update: Update, context: BotContext) -> str:
    kind = _choice(update, RegisterKind)
    if kind is None:
        return await ask_register(update, context)
    _new(context)["register"] = kind.value
    return await advance(update, context.t(REGISTER_NAMES[kind]), ask_value(update, context))


async def ask_kind(update: Update, context: BotContext) -> str:
    t = context.t
    buttons = [(t(KIND_NAMES[k]), f"tg:k:{k.value}") for k in ActivityKind]
    rows = columns(buttons, 1)
    rows.append([(t("Any kind of activity"), "tg:k:any")])
    return await _ask(update, context, KIND, t("Which kind of activity?"), rows)


async def kind_chosen(update: Update, context: BotContext) -> str:
    t = context.t
    value = _arg(update)
    new = _new(context)
    if value == "any":
        new["kind"] = None
        label = t("Any kind of activity")
    else:
        kind = _choice(update, ActivityKind)
        if kind is None:
            return await ask_kind(update, context)
        new["kind"] = kind.value
        label = t(KIND_NAMES[kind])
        if kind in KEYWORD_KINDS and new.get("indicator") != Indicator.PARTICIPANTS.value:
            return await advance(update, label, ask_keyword(update, context))
    if new.get("indicator") == Indicator.PARTICIPANTS.value:
        return await advance(update, label, ask_field(update, context))
    return await advance(update, label, ask_value(update, context))


async def ask_keyword(update: Update, context: BotContext) -> str:
    t = context.t
    question = t(
        "Count only the sessions whose note names something, such as “Chương trình 3”? Type that word, or count them all."
    )
    return await _ask(update, context, KEYWORD, question, [[(t("Count them all"), "tg:kw:all")]])


async def keyword_typed(update: Update, context: BotContext) -> str:
    if match_label(text_of(update), [(context.t("Count them all"), True)]):
        return await keyword_skipped(update, context)
    return await _text_typed(
        update, context, "keyword", targets.MAX_KEYWORD, ask_keyword, then=ask_value
    )


async def keyword_skipped(update: Update, context: BotContext) -> str:
    _new(context)["keyword"] = None
    return await advance(update, context.t("Count them all"), ask_value(update, context))


async def ask_topic(update: Update, context: BotContext) -> str:
    t = context.t
    rows = columns([(t(TOPIC_NAMES[x]), f"tg:t:{x.value}") for x in Topic], 1)
    return await _ask(update, context, TOPIC, t("Reached by sessions on which topic?"), rows)


async def topic_chosen(update: Update, context: BotContext) -> str:
    topic = _choice(update, Topic)
    if topic is None:
        return await ask_topic(update, context)
    _new(context)["topic"] = topic.value
    return await advance(update, context.t(TOPIC_NAMES[topic]), ask_field(update, context))


async def ask_field(update: Update, context: BotContext) -> str:
    t = context.t
    rows = columns([(t(FIELD_NAMES[f]), f"tg:f:{f.value}") for f in ParticipantField], 2)
    return await _ask(update, context, FIELD, t("Which participants?"), rows)


async def field_chosen(update: Update, context: BotContext) -> str:
    field = _choice(update, ParticipantField)
    if field is None:
        return await ask_field(update, context)
    new = _new(context)
    new["field"] = field.value
    next_step = (
        ask_population(update, context)
        if new.get("indicator") == Indicator.SHARE.value
        else ask_value(update, context)
    )
    return await advance(update, context.t(FIELD_NAMES[field]), next_step)


async def ask_population(update: Update, context: BotContext) -> str:
    t = context.t
    field = ParticipantField(_new(context).get("field") or "total")
    question = t(
        "How many {people} are in the group to reach (for example all the women of the villages with many home births)? Type a number."
    ).format(people=t(FIELD_NAMES[field]))
    return await _ask(update, context, POPULATION, question, None)


def parse_number(text: str) -> int | None:
    """``21``, ``1.200``, ``1,200``, ``80%`` → an int; ``None`` otherwise."""
    cleaned = re.sub(r"[\s.,%]", "", text)
    if not cleaned.isdigit() or len(cleaned) > 9:
        return None
    return int(cleaned)


async def population_typed(update: Update, context: BotContext) -> str:
    value = parse_number(text_of(update))
    if value is None or value < 1:
        await reply(update, context.t("Please type a whole number greater than 0."))
        return await ask_population(update, context)
    _new(context)["population"] = value
    return await ask_value(update, context)


async def ask_value(update: Update, context: BotContext) -> str:
    t = context.t
    indicator = _new(context).get("indicator")
    if indicator == Indicator.SHARE.value:
        question = t("What share must be reached, in percent? Type a number from 1 to 100.")
    elif indicator == Indicator.BUDGET.value:
        question = t(
            "What is the budget for the year, in đồng? Type an amount such as 50.000.000 or 50 triệu."
        )
    else:
        question = t("What is the target for the year? Type a number.")
    return await _ask(update, context, VALUE, question, None)


async def value_typed(update: Update, context: BotContext) -> str:
    if _new(context).get("indicator") == Indicator.BUDGET.value:
        try:
            amount = parse_amount(text_of(update))
        except ActivityProblem:
            await reply(
                update,
                context.t("Please type an amount in đồng, such as 50.000.000 or 50 triệu."),
            )
            return await ask_value(update, context)
        _new(context)["value"] = amount
        return await ask_label(update, context)
    value = parse_number(text_of(update))
    share = _new(context).get("indicator") == Indicator.SHARE.value
    top = 100 if share else targets.MAX_VALUE
    if value is None or not (1 if share else 0) <= value <= top:
        await reply(
            update,
            context.t("Please type a whole number from {low} to {high}.").format(
                low=1 if share else 0, high=context.t.number(top)
            ),
        )
        return await ask_value(update, context)
    _new(context)["value"] = value
    return await ask_label(update, context)


async def ask_label(update: Update, context: BotContext) -> str:
    t = context.t
    question = t(
        "Type the wording of this line in your plan (it appears in the report), or keep the name shown."
    )
    return await _ask(update, context, LABEL, question, [[(t("Keep the name shown"), "tg:skip")]])


async def label_typed(update: Update, context: BotContext) -> str:
    if match_label(text_of(update), [(context.t("Keep the name shown"), True)]):
        return await label_skipped(update, context)
    return await _text_typed(update, context, "label", targets.MAX_LABEL, ask_label, then=_save)


async def label_skipped(update: Update, context: BotContext) -> str:
    return await advance(update, context.t("Keep the name shown"), _save(update, context))


async def _save(update: Update, context: BotContext) -> str:
    t = context.t
    profile = context.profile
    assert profile is not None
    state = draft(context, KEY)
    new = _new(context)
    area = await AREA_STEP.current(context)
    try:
        data = TargetInput(
            indicator=new.get("indicator"),
            activity_kind=new.get("kind"),
            topic=new.get("topic"),
            field=new.get("field"),
            keyword=new.get("keyword"),
            funding_source=new.get("source"),
            register_kind=new.get("register"),
            value=new.get("value"),
            population=new.get("population"),
            label=new.get("label"),
        )
    except ValidationError:
        await reply(update, t("Something in this target does not fit; please start it again."))
        return await ask_view(update, context)
    if area is None:
        return await ask_view(update, context)
    try:
        async with context.services.sessions.begin() as session:
            await targets.set_target(session, profile, area, int(state["year"]), data)
    except TargetError:
        await reply(update, t("You cannot set targets for that area."))
        return await ask_view(update, context)
    await reply(
        update,
        esc(
            t("Saved: {name}, target {value}.").format(
                name=spec_name(data.spec, data.label, t), value=_value_text(data, t)
            )
        ),
    )
    return await ask_view(update, context)


def _value_text(data: TargetInput, t: Translator) -> str:
    if data.indicator is Indicator.SHARE:
        return f"{t.percent(data.value / 100)} / {t.number(data.population or 0)}"
    if data.indicator is Indicator.BUDGET:
        return t("{amount} đồng").format(amount=t.number(data.value))
    return t.number(data.value)


# Removing.
async def ask_remove(update: Update, context: BotContext) -> str:
    draft(context, KEY)["step"] = REMOVE
    t = context.t
    area = await AREA_STEP.current(context)
    year = int(draft(context, KEY).get("year") or today(context).year)
    own = []
    if area is not None and _settable(area):
        async with context.services.sessions() as session:
            own = await targets.targets_of(session, area, year)
    rows = [
        [(f"🗑 {spec_name(Spec.of(x), x.label, t)[:50]}: {t.number(x.value)}", f"tg:r:{x.id}")]
        for x in own
    ]
    rows.append([(t("◀ Back"), "tg:back")])
    remember_buttons(draft(context, KEY), keyboard(rows))
    await reply(update, t("Which target do you want to remove?"), keyboard(rows))
    return REMOVE


async def remove_pressed(update: Update, context: BotContext) -> str:
    return await advance(update, None, ask_remove(update, context))


async def remove_chosen(update: Update, context: BotContext) -> str:
    profile = context.profile
    assert profile is not None
    value = _arg(update)
    removed = False
    if value.isdigit():
        async with context.services.sessions.begin() as session:
            removed = await targets.remove_target(session, profile, int(value))
    if not removed:
        return await ask_remove(update, context)
    return await advance(update, context.t("Removed"), ask_view(update, context))


# Importing a CSV file.
CSV_EXAMPLE = (
    "area,year,indicator,kind,topic,field,keyword,value,population,label\n"
    "21115,2024,sessions,dt,,,,21,,Đối thoại chính sách\n"
    "21115,2024,share,,sinh-de,women,,80,1200,Phụ nữ được tuyên truyền"
)


async def ask_import(update: Update, context: BotContext) -> str:
    t = context.t
    question = t(
        "Send the CSV file as a document. One target per line, with these columns (the area is a unit code, or group:ID for a group of communes):"
    )
    question += f"\n<pre>{esc(CSV_EXAMPLE)}</pre>"
    return await _ask(update, context, IMPORT, question, [[(t("◀ Back"), "tg:back")]])


async def import_pressed(update: Update, context: BotContext) -> str:
    return await advance(update, None, ask_import(update, context))


def _import_problem(error: TargetError, t: Translator) -> str:
    reasons = {
        "header": t("the first line must name the columns; missing: {detail}"),
        "unknown_area": t("no area has the code “{detail}”"),
        "unknown_indicator": t("unknown indicator “{detail}”"),
        "unknown_kind": t("unknown kind of activity “{detail}”"),
        "unknown_topic": t("unknown topic “{detail}”"),
        "unknown_field": t("unknown participants “{detail}”"),
        "not_a_number": t("“{detail}” is not a whole number"),
        "year_range": t("the year must be between 2000 and 2100"),
        "not_allowed": t("that area is not under yours"),
        "population_needed": t("a share needs the size of the group (population)"),
        "percent_range": t("a share is a percent from 1 to 100"),
        "unknown_source": t("unknown funding source “{detail}”"),
        "source_only_for_budget": t("a funding source goes with a budget only"),
        "unknown_register": t("unknown register “{detail}”"),
        "register_kind_for_registers": t(
            "established, renewed and supported need the register column, and only they"
        ),
        "no_filters_for_registers": t("a register target takes no kind, topic or keyword"),
        "too_many_rows": t("at most {detail} lines"),
    }
    reason = reasons.get(error.code, t("a value is missing or out of range")).format(
        detail=error.detail
    )
    return t(
        "Line {line}: {reason}. Nothing was imported; correct the file and send it again."
    ).format(line=error.line or 1, reason=reason)


async def csv_received(update: Update, context: BotContext) -> str:
    t = context.t
    profile = context.profile
    message = update.effective_message
    assert profile is not None and message is not None and message.document is not None
    document = message.document
    if (document.file_size or 0) > MAX_CSV_BYTES:
        await reply(update, t("That file is too large for a list of targets (at most 200 kB)."))
        return await ask_import(update, context)
    file = await document.get_file()
    raw = bytes(await file.download_as_bytearray())
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        await reply(update, t("Please save the file as CSV in UTF-8 and send it again."))
        return await ask_import(update, context)
    try:
        async with context.services.sessions.begin() as session:
            result = await targets.import_csv(session, profile, text)
    except TargetError as error:
        await reply(update, esc(_import_problem(error, t)))
        return await ask_import(update, context)
    await reply(
        update,
        t("Imported: {created} new targets, {updated} changed.").format(
            created=result.created, updated=result.updated
        ),
    )
    return await ask_view(update, context)


async def not_a_file(update: Update, context: BotContext) -> str:
    message = update.effective_message
    if message is not None and match_label(message.text or "", [(context.t("◀ Back"), True)]):
        return await back(update, context)
    await reply(
        update, context.t("Please send the CSV file as a document (📎), not as text or a photo.")
    )
    return await ask_import(update, context)


def build() -> ConversationHandler[BotContext]:
    steps: dict[str, Ask] = {
        VIEW: ask_view,
        AREA: AREA_STEP.ask,
        INDICATOR: ask_indicator,
        KIND: ask_kind,
        KEYWORD: ask_keyword,
        TOPIC: ask_topic,
        FIELD: ask_field,
        POPULATION: ask_population,
        VALUE: ask_value,
        LABEL: ask_label,
        REMOVE: ask_remove,
        IMPORT: ask_import,
        SOURCE: ask_source,
        REGISTER: ask_register,
    }
    text = filters.TEXT & ~filters.COMMAND
    back_button = CallbackQueryHandler(back, pattern=r"^tg:back$")

    def typed(ask: Ask, handler: Any) -> list[Any]:
        return [MessageHandler(text, handler), *guards(ask, expects_text=True)]

    def buttons(ask: Ask, *routes: tuple[str, Press]) -> list[Any]:
        """The step's buttons, and their labels typed (``kit.guards``)."""
        pressed: list[Any] = [CallbackQueryHandler(h, pattern=p) for p, h in routes]
        return [*pressed, *guards(ask, buttons_of=_remembered, press=_router(*routes))]

    go_back: tuple[str, Press] = (r"^tg:back$", back)

    states: dict[object, list[Any]] = {
        VIEW: [
            AREA_STEP.opener(),
            *buttons(
                ask_view,
                (r"^tg:add$", add_pressed),
                (r"^tg:rm$", remove_pressed),
                (r"^tg:csv$", import_pressed),
                (r"^tg:y:", year_chosen),
                (r"^tg:done$", done),
                (r"^tg:area$", area_pressed),
            ),
        ],
        AREA: [back_button, *AREA_STEP.handlers()],
        INDICATOR: buttons(ask_indicator, go_back, (r"^tg:i:", indicator_chosen)),
        SOURCE: buttons(ask_source, (r"^tg:s:", source_chosen)),
        REGISTER: buttons(ask_register, (r"^tg:g:", register_chosen)),
        KIND: buttons(ask_kind, (r"^tg:k:", kind_chosen)),
        KEYWORD: [
            CallbackQueryHandler(keyword_skipped, pattern=r"^tg:kw:all$"),
            *typed(ask_keyword, keyword_typed),
        ],
        TOPIC: buttons(ask_topic, (r"^tg:t:", topic_chosen)),
        FIELD: buttons(ask_field, (r"^tg:f:", field_chosen)),
        POPULATION: typed(ask_population, population_typed),
        VALUE: typed(ask_value, value_typed),
        LABEL: [
            CallbackQueryHandler(label_skipped, pattern=r"^tg:skip$"),
            *typed(ask_label, label_typed),
        ],
        REMOVE: buttons(ask_remove, go_back, (r"^tg:r:", remove_chosen)),
        IMPORT: [
            back_button,
            MessageHandler(filters.Document.ALL, csv_received),
            MessageHandler(~filters.COMMAND, not_a_file),
            *guards(ask_import),
        ],
    }
    return ConversationHandler(
        entry_points=[CommandHandler("targets", start)],
        states=states,
        fallbacks=fallbacks(KEY, steps, saves_each_step=True),
        name="targets",
        persistent=True,
        allow_reentry=True,
    )


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(build())
