"""`LocalBotApi`: a loopback Telegram Bot API server plus the simulated users' side.

Point PTB at it with ``base_url=api.base_url`` and ``base_file_url=api.base_file_url``.
All methods must be called from the event loop the server was started in.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import logging
import mimetypes
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from types import TracebackType
from typing import Any

import tornado.httpserver
import tornado.netutil

from handlers.kit import fold_label, label_forms

from .formatting import command_entities, image_size
from .limits import Limits
from .methods import BotMethods, is_send_method
from .routes import make_app
from .webhook import WebhookDelivery
from .world import BotIdentity, CallbackAnswer, SentMessage, User, World

_LOGGER = logging.getLogger(__name__)
MessageHook = Callable[[SentMessage], None]


@dataclass(frozen=True)
class RequestRecord:
    """One bot request. Times are ``time.monotonic()`` of receipt and of the answer."""

    method: str
    chat_id: int | None
    received: float
    answered: float
    status: int
    is_send: bool
    retry_after: int | None = None
    description: str | None = None

    @property
    def outcome(self) -> str:
        """``ok``, ``429``, ``403``, ``5xx`` or ``4xx``."""
        if self.status < 300:
            return "ok"
        if self.status in (429, 403):
            return str(self.status)
        return "5xx" if self.status >= 500 else "4xx"

    @property
    def latency(self) -> float:
        return self.answered - self.received

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "outcome": self.outcome}


class LocalBotApi:
    """Local Bot API server. Use ``async with LocalBotApi() as api`` or start()/stop().

    User-side actions by a blocked user first unblock the bot (like Telegram's "Restart").
    With ``member_updates`` (default) blocking/unblocking also queues a ``my_chat_member``
    update, as Telegram does.
    """

    def __init__(
        self,
        limits: Limits | None = None,
        *,
        bot: BotIdentity | None = None,
        on_bot_message: MessageHook | None = None,
        on_message_deleted: MessageHook | None = None,
        member_updates: bool = True,
    ) -> None:
        self.limits = limits or Limits()
        self.world = World(bot)
        self.methods = BotMethods(self.world, self.limits, listener=self._on_change)
        self.on_bot_message = on_bot_message
        self.on_message_deleted = on_message_deleted
        self.member_updates = member_updates
        self.log: list[RequestRecord] = []
        self.closing = False
        self._changed = asyncio.Event()
        self._server: tornado.httpserver.HTTPServer | None = None
        # After setWebhook: updates are POSTed to the bot (see .webhook);
        # ``webhook.backends`` spreads them over several bot processes.
        self.webhook = WebhookDelivery(self)
        self._host = "127.0.0.1"
        self._port = 0

    # -- lifecycle ---------------------------------------------------------------------
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> LocalBotApi:
        if self._server is not None:
            raise RuntimeError("LocalBotApi is already running")
        sockets = tornado.netutil.bind_sockets(port, host)
        self._host, self._port = host, sockets[0].getsockname()[1]
        self.closing = False
        self._server = tornado.httpserver.HTTPServer(make_app(self))
        self._server.add_sockets(sockets)
        self.webhook.start()
        return self

    async def stop(self) -> None:
        if self._server is None:
            return
        self.closing = True
        self.notify()
        await self.webhook.stop()
        server, self._server = self._server, None
        server.stop()
        await asyncio.sleep(0)  # let pending long polls answer
        await server.close_all_connections()

    async def __aenter__(self) -> LocalBotApi:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self._port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    # -- change notification -----------------------------------------------------------
    def notify(self) -> None:
        """Wake everything waiting for a change (long polls, wait_* helpers)."""
        event, self._changed = self._changed, asyncio.Event()
        event.set()

    async def wait_change(self, timeout: float) -> None:  # noqa: ASYNC109
        """Wait for the next change, at most ``timeout`` seconds."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), timeout)

    async def wait_until(
        self,
        predicate: Callable[[], bool],
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> None:
        """Wait until ``predicate()`` is true (re-checked after every change)."""
        deadline = time.monotonic() + timeout
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"condition not met within {timeout}s")
            await self.wait_change(remaining)

    async def wait_for_bot_message(
        self,
        chat_id: int,
        after_count: int = 0,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> SentMessage:
        """Wait until the bot has sent more than ``after_count`` messages to ``chat_id``
        (counting deleted ones, see :meth:`bot_message_count`); return message number
        ``after_count`` (0-based), i.e. the first one sent after that count."""
        await self.wait_until(lambda: self.bot_message_count(chat_id) > after_count, timeout)
        return self.bot_messages(chat_id, include_deleted=True)[after_count]

    def _on_change(self, event: str, message: SentMessage) -> None:
        hook = self.on_message_deleted if event == "deleted" else self.on_bot_message
        if hook is None or (event != "deleted" and not message.from_bot):
            return
        try:
            hook(copy.deepcopy(message))
        except Exception:
            _LOGGER.exception("local Bot API message hook failed")

    def record(
        self, method: str, chat_id: int | None, received: float, status: int, payload: Any
    ) -> None:
        retry_after = None
        description = None
        if isinstance(payload, dict) and not payload.get("ok"):
            retry_after = payload.get("parameters", {}).get("retry_after")
            description = payload.get("description")
        self.log.append(
            RequestRecord(
                method=method,
                chat_id=chat_id,
                received=received,
                answered=time.monotonic(),
                status=status,
                is_send=is_send_method(method),
                retry_after=retry_after,
                description=description,
            )
        )

    # -- users -------------------------------------------------------------------------
    def add_user(
        self,
        user_id: int,
        first_name: str = "User",
        language_code: str | None = "vi",
        username: str | None = None,
    ) -> User:
        return self.world.add_user(user_id, first_name, language_code, username)

    def add_group(self, chat_id: int, title: str) -> User:
        return self.world.add_group(chat_id, title)

    def block(self, user_id: int, blocked: bool = True) -> None:
        """The user blocks (or unblocks) the bot: sends to the chat then get 403."""
        user = self.world.ensure_user(user_id)
        if user.blocked != blocked:
            user.blocked = blocked
            if self.member_updates:
                old, new = ("member", "kicked") if blocked else ("kicked", "member")
                self.world.member_update(user, old, new)
            self.world.touch()
            self.notify()

    def _acting_user(self, user_id: int) -> User:
        user = self.world.ensure_user(user_id)
        if user.blocked:
            self.block(user_id, False)
        return user

    def _user_message(
        self, user_id: int, kind: Any, chat_id: int | None = None, **fields: Any
    ) -> int:
        """A message from ``user_id`` in their private chat, or in group ``chat_id``."""
        self._acting_user(user_id)
        if chat_id is not None:
            fields["sender_id"] = user_id
        message = self.world.new_message(chat_id or user_id, False, kind, **fields)
        update_id = self.world.push_update("message", self.world.message_json(message))
        self.notify()
        return update_id

    # -- user actions (each returns the update_id of the queued update) ----------------
    async def send_text(self, user_id: int, text: str) -> int:
        """The user sends ``text``; a leading ``/command`` gets a ``bot_command`` entity."""
        if not text.strip() or len(text) > self.limits.max_text_length:
            raise ValueError(f"a user cannot send an empty or over-long text ({len(text)} chars)")
        return self._user_message(
            user_id, "text", text=text, html=text, entities=command_entities(text)
        )

    async def send_group_text(self, chat_id: int, user_id: int, text: str) -> int:
        """Member ``user_id`` writes ``text`` in group ``chat_id`` (see ``World.add_group``)."""
        return self._user_message(
            user_id, "text", chat_id, text=text, html=text, entities=command_entities(text)
        )

    async def edit_text(self, user_id: int, message_id: int, text: str) -> int:
        """The user edits a text they sent earlier: an ``edited_message`` update."""
        message = self.world.find_message(user_id, message_id)
        if message is None or message.from_bot or message.text is None:
            raise LookupError(f"no text of the user {message_id} in chat {user_id}")
        message.text, message.html = text, text
        message.entities = command_entities(text)
        message.edit_date = int(self.world.clock())
        update_id = self.world.push_update("edited_message", self.world.message_json(message))
        self.notify()
        return update_id

    def redeliver(self, update_id: int) -> None:
        """Telegram sends ``update_id`` again (the bot had not confirmed it)."""
        self.world.redeliver(update_id)
        self.notify()

    async def send_location(self, user_id: int, latitude: float, longitude: float) -> int:
        return self._user_message(user_id, "location", location=(latitude, longitude))

    async def send_photo(self, user_id: int, data: bytes, caption: str | None = None) -> int:
        width, height = image_size(data)
        stored = self.world.add_file("photo", data, width=width, height=height)
        return self._user_message(
            user_id, "photo", file_id=stored.file_id, caption=caption, caption_html=caption
        )

    async def send_voice(self, user_id: int, data: bytes, duration: int = 1) -> int:
        stored = self.world.add_file("voice", data, mime_type="audio/ogg", duration=duration)
        return self._user_message(user_id, "voice", file_id=stored.file_id)

    async def send_document(
        self,
        user_id: int,
        data: bytes,
        filename: str,
        caption: str | None = None,
        mime_type: str | None = None,
    ) -> int:
        mime = mime_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
        stored = self.world.add_file("document", data, file_name=filename, mime_type=mime)
        return self._user_message(
            user_id, "document", file_id=stored.file_id, caption=caption, caption_html=caption
        )

    async def press(self, user_id: int, message_id: int, callback_data: str) -> int:
        """A ``callback_query`` update for bot message ``message_id`` with ``callback_data``."""
        message = self.world.find_message(user_id, message_id)
        if message is None or message.deleted or not message.from_bot:
            raise LookupError(f"no bot message {message_id} in chat {user_id}")
        self._acting_user(user_id)
        update_id = self.world.new_callback_query(user_id, message, callback_data)
        self.notify()
        return update_id

    async def press_button(
        self, user_id: int, index: int | None = None, label: str | None = None
    ) -> int:
        """Press the ``index``-th (1-based, row by row) button, or the one labelled ``label``,
        of the newest non-deleted bot message in the chat that has an inline keyboard."""
        if (index is None) == (label is None):
            raise ValueError("press_button needs exactly one of index= or label=")
        message = next(
            (
                m
                for m in reversed(self.world.chats.get(user_id, []))
                if m.from_bot and not m.deleted and m.reply_markup
            ),
            None,
        )
        if message is None:
            raise LookupError(f"no bot message with an inline keyboard in chat {user_id}")
        buttons = message.buttons()
        labels = [b.get("text") for b in buttons]
        if index is not None:
            if not 1 <= index <= len(buttons):
                raise LookupError(
                    f"button {index} out of range: message {message.message_id} has {labels}"
                )
            button = buttons[index - 1]
        else:
            found = [b for b in buttons if b.get("text") == label] or [
                b for b in buttons if fold_label(label or "") in label_forms(str(b.get("text", "")))
            ]
            if not found:
                raise LookupError(
                    f"no button {label!r} on message {message.message_id}; buttons: {labels}"
                )
            button = found[0]
        if "callback_data" not in button:
            raise ValueError(f"button {button.get('text')!r} has no callback_data: {button}")
        return await self.press(user_id, message.message_id, str(button["callback_data"]))

    # -- inspection --------------------------------------------------------------------
    def messages(self, chat_id: int, include_deleted: bool = False) -> list[SentMessage]:
        """Both sides of the chat, in order (snapshots)."""
        return self.world.messages(chat_id, include_deleted)

    def bot_messages(self, chat_id: int, include_deleted: bool = False) -> list[SentMessage]:
        return [m for m in self.world.messages(chat_id, include_deleted) if m.from_bot]

    def bot_message_count(self, chat_id: int) -> int:
        """How many messages the bot has ever sent to the chat (deleted ones included)."""
        return sum(1 for m in self.world.chats.get(chat_id, []) if m.from_bot)

    def answers_for(self, callback_query: str | int) -> CallbackAnswer | None:
        """The bot's answer to a callback query, by query id or by the update_id of press()."""
        for query in self.world.callback_queries.values():
            if query.id == callback_query or query.update_id == callback_query:
                return query.answer
        if isinstance(callback_query, str):
            raise LookupError(f"unknown callback query {callback_query!r}")
        raise LookupError(f"no callback query with update_id {callback_query}")

    def pending_updates(self) -> int:
        """Updates queued and not yet confirmed by the bot's getUpdates offset."""
        return len(self.world.updates)

    def commands(
        self, language_code: str = "", scope: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Commands stored by setMyCommands for that scope (default scope) and language."""
        key = (json.dumps(scope or {"type": "default"}, sort_keys=True), language_code)
        return copy.deepcopy(self.world.commands.get(key, []))

    def file_bytes(self, file_id: str) -> bytes:
        return self.world.files[file_id].data
