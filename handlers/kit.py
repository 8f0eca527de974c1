"""The conversation kit (bộ khung hội thoại): what every multi-step
conversation is made of, written once.

- ``Ask``: the function that (re)sends a step's question.
- :func:`guards`: whatever does not fit a step (a photo, text at a button
  step, a stale button) gets one line saying what is expected and the
  step's question again.
- :func:`match_label` / :func:`match_labels`: typing a button's visible
  label counts as pressing it (accents, case, emoji and markup ignored; the
  words in a label's parentheses count too: "họp dân" for "Truyền thông
  trực tiếp (họp dân, sinh hoạt)"). At a step that takes nothing but its
  buttons, whole words of one label that no other button has count too
  ("ẩn danh" for "🙈 Giữ ẩn danh"); words that several buttons have
  choose nothing, and the question is asked again.
- :func:`take_text`: the parts of a text that Telegram split at 4,096
  characters, joined again before the step reads them.
- :func:`fallbacks`: /help, /hotline, /language, /start and /cancel answer
  at every step; after /help, /hotline and /language the same question is
  asked again.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.context import BotContext
from bot.i18n import N_
from handlers.flow import draft, drop_draft
from handlers.ui import reply
from storage.text import fold

T = TypeVar("T")
Ask = Callable[[Update, BotContext], Awaitable[object]]
Say = Callable[..., Awaitable[object]]  # (update, context, text, markup=None)

CHOOSE_BUTTON = N_("Please choose one of the buttons below.")
TYPE_TEXT = N_("Please type your answer as text.")
STALE_BUTTON = N_("That button is from an earlier step. Please use the latest message.")


async def plain_say(
    update: Update, context: BotContext, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    await reply(update, text, markup)


# Typed labels.
_TAG = re.compile(r"<[^>]{0,40}>")
_PARENS = re.compile(r"\(([^()]*)\)")


def fold_label(text: str) -> str:
    """A label or an answer as compared: no markup, emoji, accents or case."""
    return fold(_TAG.sub(" ", text))


def label_forms(label: str) -> set[str]:
    """The ways to type a label: itself, without its parentheses, each of its
    parts separated by commas or " — ", and each comma-separated word inside
    the parentheses."""
    bare = _PARENS.sub(" ", label)
    forms = {fold_label(label), fold_label(bare)}
    # "Có, ngay bây giờ"; "Xã Trà Bồng — Quảng Ngãi"
    forms.update(fold_label(part) for part in re.split(r"[,;/]|\s—\s", bare))
    for inside in _PARENS.findall(label):
        forms.update(fold_label(part) for part in re.split(r"[,;/]", inside))
    return {f for f in forms if f}


def _one(found: Iterable[T]) -> T | None:
    unique = list(dict.fromkeys(found))
    return unique[0] if len(unique) == 1 else None


def match_label(text: str, options: Iterable[tuple[str, T]], *, partial: bool = False) -> T | None:
    """The value of the one option whose label is ``text``; failing that, of
    the one option with a piece of label (a comma-separated part, a word in
    its parentheses) that is ``text``, if no other option's label has those
    words ("bạo lực" is a part of "Bạo lực, xâm hại trẻ em" but also in
    "Bạo lực gia đình": nothing).

    With ``partial`` (for a step that takes nothing but its buttons), any
    words of one label, whole and in a row, are enough ("ẩn danh" for
    "🙈 Giữ ẩn danh"), on the same condition that no other label has them.
    Free-text steps must not pass it: a name or a detail typed there would
    be read as a button."""
    typed = fold_label(text)
    if not typed:
        return None
    options = list(options)
    whole = [
        value
        for label, value in options
        if typed in (fold_label(label), fold_label(_PARENS.sub(" ", label)))
    ]
    if whole:
        return _one(whole)
    if not partial and not any(typed in label_forms(label) for label, _ in options):
        return None
    return _one(value for label, value in options if f" {typed} " in f" {fold_label(label)} ")


def _parts(text: str) -> list[str]:
    return [p for p in re.split(r"[,;\n]|\s+(?:và|va|and)\s+", text) if p.strip()]


def match_labels(text: str, options: Sequence[tuple[str, T]]) -> list[T] | None:
    """Several labels separated by commas, semicolons or "và"/"and"; None if
    any part matches nothing."""
    parts = _parts(text)
    found: list[T] = []
    for part in parts:
        value = match_label(part, options)
        if value is None:
            return None
        if value not in found:
            found.append(value)
    return found or None


@dataclass(frozen=True)
class Choices(Generic[T]):
    """What was typed at a multi-choice step (several buttons to tick, then Done)."""

    picked: list[T]  # the values named, in the order typed
    done: bool  # the Done button's label (or a word of it) was typed too
    unknown: str | None  # the first part that names nothing, as typed


def read_choices(
    text: str,
    options: Sequence[tuple[str, T]],
    done: Sequence[str] = (),
    groups: Sequence[tuple[str, Sequence[T]]] = (),
    *,
    partial: bool = False,
) -> Choices[T]:
    """A typed answer to a multi-choice step: the labels named, separated by
    commas, semicolons or "và"/"and" ("phụ nữ, trẻ em"), each matched as by
    :func:`match_label`; ``groups`` are words that name several values at
    once ("trẻ em": girls and boys); a part that is one of the ``done``
    labels ("xong") finishes the step. With ``partial`` (a checklist that
    takes nothing but its buttons), a part that is no label nor group is
    read as whole words of one button's label that no other button has
    ("cao tuổi" for "Người cao tuổi"), the Done button among them."""
    picked: list[T] = []
    finished = False
    unknown: str | None = None
    group_options = [(label, index) for index, (label, _) in enumerate(groups)]
    done_options: list[tuple[str, bool]] = [(label, True) for label in done]
    for part in _parts(text):
        is_done: bool | None = match_label(part, done_options)
        if is_done:
            finished = True
            continue
        value = match_label(part, options)
        index = match_label(part, group_options) if value is None else None
        if value is not None:
            found: Sequence[T] = [value]
        elif index is not None:
            found = groups[index][1]
        else:
            buttons: list[tuple[str, tuple[bool, T | None]]] = [
                (label, (False, v)) for label, v in options
            ] + [(label, (True, None)) for label in done]
            hit = match_label(part, buttons, partial=True) if partial else None
            if hit is None:
                unknown = unknown if unknown is not None else part.strip()
                continue
            if hit[0]:
                finished = True
                continue
            found = [hit[1]] if hit[1] is not None else []
        picked += [v for v in found if v not in picked]
    return Choices(picked, finished, unknown)


# A button's label, typed, as a press: the step's own button handler runs with
# the button's data (each update runs in a task of its own).
_typed_data: ContextVar[tuple[int, str] | None] = ContextVar("typed_data", default=None)
BUTTONS = "buttons"  # in a draft: the [label, data] pairs of the last question asked


def remember_buttons(state: dict[str, Any], markup: object) -> None:
    """Keep the buttons of the question just asked, so that typing one's label
    can count as pressing it (see :func:`guards`, ``buttons_of``)."""
    if isinstance(markup, InlineKeyboardMarkup):
        state[BUTTONS] = [
            [b.text, b.callback_data]
            for row in markup.inline_keyboard
            for b in row
            if isinstance(b.callback_data, str)
        ]


def typed_button(update: Update, buttons: object, *, partial: bool = False) -> str | None:
    """The data of the remembered button (``[[label, data], ...]``) whose
    label the message is; the update then reads as that button's press
    (:func:`pressed_data`), so the step's own button handler can run.
    ``partial``: as for :func:`match_label`, at a step with nothing but buttons."""
    message = update.effective_message
    if message is None or not message.text or not isinstance(buttons, list):
        return None
    options = [
        (str(p[0]), str(p[1])) for p in buttons if isinstance(p, list | tuple) and len(p) == 2
    ]
    data = match_label(message.text, options, partial=partial)
    if data is not None:
        _typed_data.set((update.update_id, data))
    return data


def route(
    *handlers: CallbackQueryHandler[BotContext, Any],
) -> Callable[[Update, BotContext], Awaitable[object]]:
    """One ``press`` for :func:`guards` at a step with several button
    handlers: the typed button goes to the handler whose pattern its data
    fits, as a press would."""

    async def press(update: Update, context: BotContext) -> object:
        data = pressed_data(update) or ""
        for handler in handlers:
            pattern = handler.pattern
            if isinstance(pattern, str | re.Pattern) and re.match(pattern, data):
                return await handler.callback(update, context)
        return None

    return press


def pressed_data(update: Update) -> str | None:
    """The data of the pressed button, or of the button whose label was typed."""
    typed = _typed_data.get()
    if typed is not None and typed[0] == update.update_id:
        return typed[1]
    query = update.callback_query
    return query.data if query is not None else None


def in_other_conversation(update: Update, context: BotContext, own: str) -> bool:
    """Whether the user is mid-way through a conversation other than ``own``
    (its ``name``): a button that works in any state (group -1) then answers
    by itself rather than end or enter a conversation, so that draft is kept.
    Every conversation here is persistent, so the application tracks them all."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return False
    key = (chat.id, user.id)
    tracked: dict[str, Any] = context.application._conversation_handler_conversations
    return any(name != own and key in steps for name, steps in tracked.items())


# Wrong input at a step.
def guards(
    ask: Ask,
    *,
    expects_text: bool = False,
    reason: str | None = None,
    say: Say = plain_say,
    buttons_of: Callable[[BotContext], object] | None = None,
    press: Callable[[Update, BotContext], Awaitable[object]] | None = None,
) -> list[BaseHandler[Update, BotContext, Any]]:
    """Catch-alls for one step: what does not fit gets the step's own reason
    (a message id, translated here) and its question again; the step stays.
    With ``buttons_of`` (the remembered ``[label, data]`` pairs) and ``press``
    (the step's button handler), a typed label is read as that button."""

    async def wrong_message(update: Update, context: BotContext) -> object:
        # Text reaching the guards is text at a step of buttons only: whole
        # words of one button's label choose it.
        buttons = buttons_of(context) if buttons_of is not None else None
        typed = typed_button(update, buttons, partial=True) if buttons is not None else None
        if press is not None and typed is not None:
            return await press(update, context)
        line = reason or (TYPE_TEXT if expects_text else CHOOSE_BUTTON)
        await say(update, context, context.t(line))
        await ask(update, context)
        return None

    async def wrong_button(update: Update, context: BotContext) -> None:
        from handlers.activities.asking import answer  # answered once per update

        await answer(update, context.t(STALE_BUTTON))
        await ask(update, context)

    return [
        MessageHandler(~filters.COMMAND, wrong_message),
        CallbackQueryHandler(wrong_button),
    ]


# Split long messages.
SPLIT_AT = 4096  # Telegram's limit of a text message, in UTF-16 code units
JOIN_SECONDS = 8.0  # how long to wait for the rest of a split text
FRAGMENT = "_fragment"  # in user_data: the parts of a split text so far


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


async def take_text(update: Update, context: BotContext, *, html: bool = False) -> str | None:
    """The whole text the user sent: a message at Telegram's limit is kept
    (nothing is saved or sent) until its next part arrives; the parts are
    joined. None while the text may go on. A part left alone for
    :data:`JOIN_SECONDS` is read on its own (the step then says it is too
    long, as for any long text). The held part is in the committed
    ``user_data``: after a restart it is joined to its next part, read alone
    by :func:`resume_held_parts`, or, if another message comes first, read
    with that message; it is never dropped."""
    message = update.effective_message
    data = context.user_data
    if message is None or data is None:
        return None
    plain = message.text or ""
    text = (message.text_html or "") if html else plain
    pending = data.pop(FRAGMENT, None)
    head = ""
    if isinstance(pending, dict):
        if update.update_id < 0:  # the part left alone, read now
            if pending.get("id") == -update.update_id:
                return str(pending.get("text"))
            data[FRAGMENT] = pending  # a later part is held: its own reader reads it
            return None
        at = pending.get("at")
        if (
            pending.get("chat") == message.chat_id
            and isinstance(at, int | float)
            and 0 <= _seconds(message) - at <= JOIN_SECONDS
        ):
            head = str(pending.get("text", ""))
        elif pending.get("text"):
            # Its reader died with its process and this message came first:
            # never dropped, it is read with this message (a held part is at
            # the limit, so the step says the whole is too long).
            head = str(pending["text"]) + "\n"
    elif update.update_id < 0:
        return None  # joined meanwhile: nothing left to read
    if utf16_length(plain) < SPLIT_AT:
        return head + text
    data[FRAGMENT] = {
        "text": head + text,
        "at": _seconds(message),
        "chat": message.chat_id,
        "id": update.update_id,
        "update": update.to_dict(),
    }
    queue = context.job_queue
    if queue is not None:
        queue.run_once(
            _read_alone, JOIN_SECONDS + 1, data=update.update_id, user_id=_user_id(update)
        )
    return None


def _user_id(update: Update) -> int | None:
    return update.effective_user.id if update.effective_user is not None else None


def _seconds(message: Message) -> float:
    when: datetime = message.date
    return when.timestamp()


async def _read_alone(context: ContextTypes.DEFAULT_TYPE) -> None:
    """No next part came: the kept part is read as the answer, through the
    same handlers, as an update of its own."""
    job = context.job
    if job is None or job.user_id is None or not isinstance(job.data, int):
        return
    pending = context.application.user_data.get(job.user_id, {}).get(FRAGMENT)
    if not isinstance(pending, dict) or pending.get("id") != job.data:
        return
    stored = dict(pending["update"])
    stored["update_id"] = -job.data
    await context.application.update_queue.put(Update.de_json(stored, context.bot))


def resume_held_parts(application: Application) -> int:  # type: ignore[type-arg]
    """At start: a part held when the last process stopped (it is in the
    committed ``user_data``, but the job that would read it alone died with
    that process) is read on its own once its window is over, as it would
    have been. Returns how many were found."""
    queue = application.job_queue
    if queue is None:
        return 0
    found = 0
    now = datetime.now().timestamp()
    for user_id, data in list(application.user_data.items()):
        pending = data.get(FRAGMENT) if isinstance(data, dict) else None
        if not isinstance(pending, dict) or not isinstance(pending.get("id"), int):
            continue
        at = pending.get("at")
        due = (float(at) if isinstance(at, int | float) else now) + JOIN_SECONDS + 1 - now
        queue.run_once(_read_alone, max(due, 1.0), data=pending["id"], user_id=user_id)
        found += 1
    return found


# Commands at any step.
def _reask(steps: Mapping[str, Ask], step: object) -> Ask | None:
    return steps.get(step) if isinstance(step, str) else None


def fallbacks(
    key: str,
    steps: Mapping[str, Ask],
    restart: CommandHandler[BotContext, Any] | None = None,
    *,
    leave: Callable[[Update, BotContext], Awaitable[object]] | None = None,
    leave_commands: Sequence[str] = ("cancel",),
    say: Say = plain_say,
    step_of: Callable[[BotContext], object] | None = None,
    saves_each_step: bool = False,
) -> list[BaseHandler[Update, BotContext, Any]]:
    """The commands of a conversation at any of its steps:

    - ``leave_commands`` (/cancel) end it with ``leave``, or by dropping the
      draft and saying nothing was saved; with ``saves_each_step`` (a menu
      that saves each change when it is confirmed, such as a merge in
      /people), saying that what was confirmed is kept;
    - /start ends it the same way and then shows what the user can do;
    - /help, /hotline and /language answer, then ask the same question again;
    - any other command: say so, and ask the same question again."""

    def current(context: BotContext) -> Ask | None:
        step = step_of(context) if step_of is not None else draft(context, key).get("step")
        return _reask(steps, step)

    async def end(update: Update, context: BotContext) -> int:
        if leave is not None:
            await leave(update, context)
        else:
            drop_draft(context, key)
            text = (
                context.t(
                    "Closed. What you confirmed before is saved, the rest is not. "
                    "Send /help to see what you can do."
                )
                if saves_each_step
                else context.t("Cancelled. Nothing was saved. Send /help to see what you can do.")
            )
            await say(update, context, text)
        return ConversationHandler.END

    async def start_over(update: Update, context: BotContext) -> int:
        from handlers.common import help_message  # common imports the conversations

        result = await end(update, context)
        await plain_say(update, context, *help_message(context))
        return result

    async def anywhere(update: Update, context: BotContext) -> None:
        from handlers import common, hotline

        message = update.effective_message
        name = (message.text or "").split()[0].lstrip("/").split("@")[0] if message else ""
        if name == "help":
            await say(update, context, *common.help_message(context))
        elif name == "language":
            await say(update, context, *common.language_message(context))
        elif name == "hotline":  # as /hotline outside: with the user's own local addresses
            for text in await hotline.hotline_texts(context):
                await say(update, context, text)
        else:
            t = context.t
            finish = (
                t("Please finish this step first, or send /exit to leave.")
                if leave_commands[0] == "exit"
                else t("Please finish this step first, or send /cancel to stop.")
            )
            await say(update, context, finish)
        ask = current(context)
        if ask is not None:
            await ask(update, context)

    handlers: list[BaseHandler[Update, BotContext, Any]] = [
        CommandHandler(list(leave_commands), end)
    ]
    if restart is not None:
        handlers.append(restart)
    if restart is None or "start" not in restart.commands:
        handlers.append(CommandHandler("start", start_over))
    handlers.append(MessageHandler(filters.COMMAND, anywhere))
    return handlers


# An optional question that never traps.
def optional_question(
    application: Application,  # type: ignore[type-arg]
    conversation: ConversationHandler[BotContext],
    key: str,
) -> None:
    """A command sent while ``conversation`` waits for an optional answer
    ends it first, so the command works as if the question had not been asked."""

    async def forget(update: Update, context: BotContext) -> None:
        data = context.user_data
        if data is None or key not in data:
            return
        drop_draft(context, key)
        # PTB has no public way to end a conversation from outside it.
        conversation._update_state(ConversationHandler.END, conversation._get_key(update))

    application.add_handler(MessageHandler(filters.COMMAND, forget), group=-2)


__all__ = [
    "CHOOSE_BUTTON",
    "STALE_BUTTON",
    "TYPE_TEXT",
    "Ask",
    "Choices",
    "Say",
    "fallbacks",
    "fold_label",
    "guards",
    "label_forms",
    "match_label",
    "match_labels",
    "optional_question",
    "read_choices",
    "resume_held_parts",
    "route",
    "take_text",
    "typed_button",
]
