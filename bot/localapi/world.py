"""Pure in-memory state of the local Bot API: users, chats, messages, updates, files.

No I/O and no asyncio here; the HTTP layer and :class:`LocalBotApi` drive it.
Only private chats exist: a chat id equals the user id.
"""

from __future__ import annotations

import copy
import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from .webhook import Webhook

JSONDict = dict[str, Any]
MessageKind = Literal["text", "photo", "document", "voice", "location"]
Rows = list[list[JSONDict]]
HISTORY = 1_000  # delivered updates kept for redeliver()


@dataclass
class User:
    """A simulated Telegram user (and their private chat with the bot)."""

    id: int
    first_name: str = "User"
    language_code: str | None = "vi"
    username: str | None = None
    last_name: str | None = None
    blocked: bool = False
    group_title: str | None = None  # set for a group chat (a negative id), not a person

    def to_json(self) -> JSONDict:
        data: JSONDict = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data

    def chat_json(self) -> JSONDict:
        if self.group_title is not None:
            return {"id": self.id, "type": "group", "title": self.group_title}
        data: JSONDict = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        return data


@dataclass(frozen=True)
class BotIdentity:
    id: int = 7000000001
    first_name: str = "Bình Đẳng"
    username: str = "binhdang_bot"

    def to_json(self) -> JSONDict:
        return {
            "id": self.id,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
        }


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    kind: MessageKind
    data: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None
    width: int = 0
    height: int = 0
    duration: int = 0

    def media_json(self) -> Any:
        """The ``photo`` / ``document`` / ``voice`` value of a Message for this file."""
        base: JSONDict = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
        }
        if self.kind == "photo":
            return [{**base, "width": self.width, "height": self.height}]
        if self.mime_type:
            base["mime_type"] = self.mime_type
        if self.kind == "voice":
            return {**base, "duration": self.duration}
        if self.file_name:
            base["file_name"] = self.file_name
        return base


@dataclass
class SentMessage:
    """A message in a private chat, sent by the bot (``from_bot``) or by the user."""

    message_id: int
    chat_id: int
    from_bot: bool
    kind: MessageKind
    date: int
    text: str | None = None  # plain text (entities parsed out)
    html: str | None = None  # raw text as given by the sender
    entities: list[JSONDict] = field(default_factory=list)
    caption: str | None = None  # plain caption
    caption_html: str | None = None
    caption_entities: list[JSONDict] = field(default_factory=list)
    reply_markup: Rows | None = None  # inline keyboard rows
    reply_keyboard: JSONDict | None = None  # non-inline reply markup as sent
    file_id: str | None = None
    location: tuple[float, float] | None = None
    protect_content: bool = False
    deleted: bool = False
    edited_count: int = 0
    edit_date: int | None = None
    reply_to_message_id: int | None = None
    sender_id: int | None = None  # in a group: the member who wrote it

    def to_dict(self) -> JSONDict:
        """JSON-safe dict (used by the control endpoints)."""
        data = asdict(self)
        data["location"] = list(self.location) if self.location else None
        return data

    def buttons(self) -> list[JSONDict]:
        """All inline buttons, row by row."""
        return [button for row in self.reply_markup or [] for button in row]


@dataclass(frozen=True)
class CallbackAnswer:
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int


@dataclass
class CallbackQueryRecord:
    id: str
    user_id: int
    message_id: int
    data: str
    update_id: int = 0
    answer: CallbackAnswer | None = None


class World:
    """All state of the simulated Telegram. Mutated only via its methods."""

    def __init__(self, bot: BotIdentity | None = None, clock: Callable[[], float] = time.time):
        self.bot = bot or BotIdentity()
        self.clock = clock
        self.users: dict[int, User] = {}
        self.chats: dict[int, list[SentMessage]] = {}
        self._next_message_id: dict[int, int] = {}
        self.updates: list[JSONDict] = []  # pending (unconfirmed) updates, ascending ids
        # Telegram's ids start at an arbitrary number; starting from the clock
        # keeps the ids of one run apart from those of an earlier run, whose
        # last updates a bot on the same database remembers (handlers.delivery).
        self.next_update_id = int(clock() * 10) % 1_000_000_000 + 1
        self._history: OrderedDict[int, JSONDict] = OrderedDict()  # for redeliver()
        self._redelivered: list[JSONDict] = []
        self.webhook: Webhook | None = None  # set by setWebhook (localapi.webhook)
        self.files: dict[str, StoredFile] = {}
        self.files_by_path: dict[str, StoredFile] = {}
        self.callback_queries: dict[str, CallbackQueryRecord] = {}
        self.commands: dict[tuple[str, str], list[JSONDict]] = {}
        self.menu_buttons: dict[int | None, JSONDict] = {}  # by chat; None: the default
        self.version = 0  # bumped on every change
        self._counter = 0

    # -- users -------------------------------------------------------------------------
    def add_user(
        self,
        user_id: int,
        first_name: str = "User",
        language_code: str | None = "vi",
        username: str | None = None,
    ) -> User:
        user = self.users.get(user_id)
        if user is None:
            user = User(user_id, first_name, language_code, username)
            self.users[user_id] = user
            self.chats[user_id] = []
        else:
            user.first_name, user.language_code = first_name, language_code
            user.username = username
        self.touch()
        return user

    def add_group(self, chat_id: int, title: str) -> User:
        """A group chat the bot is a member of (``chat_id`` negative, as Telegram's)."""
        group = self.add_user(chat_id, first_name=title, language_code=None)
        group.group_title = title
        return group

    def ensure_user(self, user_id: int) -> User:
        return self.users.get(user_id) or self.add_user(user_id, first_name=f"User{user_id}")

    def touch(self) -> None:
        self.version += 1

    def unique(self) -> int:
        self._counter += 1
        return self._counter

    # -- messages ----------------------------------------------------------------------
    def new_message(
        self, chat_id: int, from_bot: bool, kind: MessageKind, **fields: Any
    ) -> SentMessage:
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        message = SentMessage(
            message_id=message_id,
            chat_id=chat_id,
            from_bot=from_bot,
            kind=kind,
            date=int(self.clock()),
            **fields,
        )
        self.chats.setdefault(chat_id, []).append(message)
        self.touch()
        return message

    def find_message(self, chat_id: int, message_id: int) -> SentMessage | None:
        for message in self.chats.get(chat_id, []):
            if message.message_id == message_id:
                return message
        return None

    def messages(self, chat_id: int, include_deleted: bool = False) -> list[SentMessage]:
        return [
            copy.deepcopy(m)
            for m in self.chats.get(chat_id, [])
            if include_deleted or not m.deleted
        ]

    def message_json(self, message: SentMessage, with_reply: bool = True) -> JSONDict:
        user = self.ensure_user(message.chat_id)
        sender = self.ensure_user(message.sender_id) if message.sender_id else user
        data: JSONDict = {
            "message_id": message.message_id,
            "date": message.date,
            "chat": user.chat_json(),
            "from": self.bot.to_json() if message.from_bot else sender.to_json(),
        }
        if message.edit_date is not None:
            data["edit_date"] = message.edit_date
        if message.text is not None:
            data["text"] = message.text
            if message.entities:
                data["entities"] = copy.deepcopy(message.entities)
        if message.file_id is not None:
            data[message.kind] = self.files[message.file_id].media_json()
        if message.location is not None:
            data["location"] = {"latitude": message.location[0], "longitude": message.location[1]}
        if message.caption is not None:
            data["caption"] = message.caption
            if message.caption_entities:
                data["caption_entities"] = copy.deepcopy(message.caption_entities)
        if message.reply_markup is not None:
            data["reply_markup"] = {"inline_keyboard": copy.deepcopy(message.reply_markup)}
        if message.protect_content:
            data["has_protected_content"] = True
        if with_reply and message.reply_to_message_id is not None:
            target = self.find_message(message.chat_id, message.reply_to_message_id)
            if target is not None and not target.deleted:
                data["reply_to_message"] = self.message_json(target, with_reply=False)
        return data

    # -- updates -----------------------------------------------------------------------
    def push_update(self, kind: str, payload: JSONDict) -> int:
        update_id = self.next_update_id
        self.next_update_id += 1
        update = {"update_id": update_id, kind: payload}
        self.updates.append(update)
        self._history[update_id] = update
        while len(self._history) > HISTORY:
            self._history.popitem(last=False)
        self.touch()
        return update_id

    def redeliver(self, update_id: int) -> None:
        """Deliver an update again, as Telegram does when the bot stopped before
        confirming it."""
        self._redelivered.append(copy.deepcopy(self._history[update_id]))
        self.touch()

    def take_updates(self, offset: int | None, limit: int) -> list[JSONDict]:
        """getUpdates semantics: ``offset`` confirms (drops) earlier updates; nothing else is
        removed. A negative offset keeps only the last ``-offset`` updates."""
        if offset is not None and offset < 0:
            self.updates = self.updates[offset:]
        elif offset:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        again, self._redelivered = self._redelivered, []
        return copy.deepcopy(again + self.updates[: max(limit - len(again), 0)])

    def take_redelivered(self) -> list[JSONDict]:
        again, self._redelivered = self._redelivered, []
        return copy.deepcopy(again)

    def confirm_update(self, update_id: int) -> None:
        """A webhook answered 2xx: the update is done."""
        self.updates = [u for u in self.updates if u["update_id"] != update_id]
        self.touch()

    def drop_updates(self) -> None:
        self.updates.clear()
        self.touch()

    # -- files -------------------------------------------------------------------------
    def add_file(
        self,
        kind: MessageKind,
        data: bytes,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        width: int = 0,
        height: int = 0,
        duration: int = 0,
    ) -> StoredFile:
        number = self.unique()
        digest = hashlib.sha1(data, usedforsecurity=False).hexdigest()
        prefix = {"photo": "AgAC", "document": "BQAC", "voice": "AwAC"}.get(kind, "CAAC")
        ext = {"photo": "jpg", "voice": "oga"}.get(kind)
        if ext is None:
            ext = file_name.rsplit(".", 1)[-1] if file_name and "." in file_name else "bin"
        folder = {"photo": "photos", "voice": "voice"}.get(kind, "documents")
        stored = StoredFile(
            file_id=f"{prefix}LocalFile{number:06d}{digest[:16]}",
            file_unique_id=f"AQAD{digest[:12]}",
            kind=kind,
            data=data,
            file_path=f"{folder}/file_{number}.{ext}",
            file_name=file_name,
            mime_type=mime_type,
            width=width,
            height=height,
            duration=duration,
        )
        self.files[stored.file_id] = stored
        self.files_by_path[stored.file_path] = stored
        return stored

    # -- callback queries --------------------------------------------------------------
    def new_callback_query(self, user_id: int, message: SentMessage, data: str) -> int:
        user = self.ensure_user(user_id)
        query_id = f"{user_id}{self.unique():08d}"
        record = CallbackQueryRecord(query_id, user_id, message.message_id, data)
        self.callback_queries[query_id] = record
        payload = {
            "id": query_id,
            "from": user.to_json(),
            "chat_instance": str(-(abs(user_id) * 7919 % 10**15) - 1),
            "message": self.message_json(message),
            "data": data,
        }
        record.update_id = self.push_update("callback_query", payload)
        return record.update_id

    def member_update(self, user: User, old: str, new: str) -> int:
        """A ``my_chat_member`` update (block/unblock of the bot by the user)."""
        bot = self.bot.to_json()
        old_member: JSONDict = {"status": old, "user": bot}
        new_member: JSONDict = {"status": new, "user": bot}
        for member in (old_member, new_member):
            if member["status"] == "kicked":
                member["until_date"] = 0
        payload = {
            "chat": user.chat_json(),
            "from": user.to_json(),
            "date": int(self.clock()),
            "old_chat_member": old_member,
            "new_chat_member": new_member,
        }
        return self.push_update("my_chat_member", payload)
