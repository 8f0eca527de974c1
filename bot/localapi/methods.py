"""Bot-side Bot API methods, executed synchronously against a :class:`World`.

``getUpdates`` long polling (the only waiting method) is done by the HTTP layer around
:meth:`BotMethods.get_updates`.
"""

from __future__ import annotations

import copy
import json
import re
import time
from collections.abc import Callable
from typing import Any

from .limits import FaultInjector, Limits, RateLimiter
from .params import ApiError, Params, bad_request
from .validate import input_file, parse_markup, parse_text, reply_target
from .webhook import Webhook
from .world import CallbackAnswer, SentMessage, User, World

JSONDict = dict[str, Any]
ChangeListener = Callable[[str, SentMessage], None]  # ("new" | "edited" | "deleted", msg)

#: Methods that are rate limited and subject to injected server errors (lower case).
SEND_METHODS = frozenset(
    {
        "sendmessage",
        "sendphoto",
        "senddocument",
        "sendvoice",
        "sendlocation",
        "editmessagetext",
        "editmessagereplymarkup",
        "editmessagecaption",
    }
)
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
MAX_DOWNLOAD = 20 * 1024 * 1024
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")


def is_send_method(method: str) -> bool:
    return method.lower() in SEND_METHODS


class BotMethods:
    def __init__(
        self,
        world: World,
        limits: Limits,
        monotonic: Callable[[], float] = time.monotonic,
        listener: ChangeListener | None = None,
    ) -> None:
        self.world = world
        self.limits = limits
        self.monotonic = monotonic
        self.listener = listener
        self.rate_limiter = RateLimiter(limits)
        self.faults = FaultInjector(limits)
        self._handlers: dict[str, Callable[[Params], Any]] = {
            "getme": self.get_me,
            "getupdates": self.get_updates,
            "setwebhook": self.set_webhook,
            "deletewebhook": self.delete_webhook,
            "getwebhookinfo": self.get_webhook_info,
            "setmycommands": self.set_my_commands,
            "getmycommands": self.get_my_commands,
            "deletemycommands": self.delete_my_commands,
            "sendmessage": self.send_message,
            "sendphoto": self.send_photo,
            "senddocument": self.send_document,
            "sendvoice": self.send_voice,
            "sendlocation": self.send_location,
            "sendchataction": self.send_chat_action,
            "editmessagetext": self.edit_message_text,
            "editmessagecaption": self.edit_message_caption,
            "editmessagereplymarkup": self.edit_message_reply_markup,
            "deletemessage": self.delete_message,
            "deletemessages": self.delete_messages,
            "answercallbackquery": self.answer_callback_query,
            "getfile": self.get_file,
            "getchat": self.get_chat,
            "setchatmenubutton": self.set_chat_menu_button,
            "getchatmenubutton": self.get_chat_menu_button,
            "close": lambda _params: True,
            "logout": lambda _params: True,
        }

    def call(self, method: str, params: Params) -> Any:
        """Execute ``method``; raises :class:`ApiError` for error answers."""
        name = method.lower()
        handler = self._handlers.get(name)
        if handler is None:
            raise ApiError(404, "Not Found: method not found")
        if name in SEND_METHODS:
            if self.faults.should_fail():
                raise ApiError(502, "Bad Gateway")
            chat_id = params.chat_id()
            self.chat(chat_id)
            retry_after = self.rate_limiter.acquire(chat_id, self.monotonic())
            if retry_after is not None:
                raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)
        return handler(params)

    # -- helpers -----------------------------------------------------------------------
    def chat(self, chat_id: int, allow_blocked: bool = False) -> User:
        user = self.world.users.get(chat_id)
        if user is None:
            raise bad_request("chat not found")
        if user.blocked and not allow_blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return user

    def _emit(self, event: str, message: SentMessage) -> None:
        if self.listener is not None:
            self.listener(event, message)

    def _send(self, params: Params, kind: Any, **fields: Any) -> JSONDict:
        chat_id = params.chat_id()
        rows, keyboard = parse_markup(params)
        reply_to = reply_target(self.world, chat_id, params)
        message = self.world.new_message(
            chat_id,
            True,
            kind,
            reply_markup=rows,
            reply_keyboard=keyboard,
            protect_content=params.get_bool("protect_content"),
            reply_to_message_id=reply_to,
            **fields,
        )
        self._emit("new", message)
        return self.world.message_json(message)

    def _caption_fields(self, params: Params) -> JSONDict:
        plain, raw, entities = parse_text(params, "caption", self.limits, required=False)
        return {"caption": plain, "caption_html": raw, "caption_entities": entities}

    def _editable(self, params: Params) -> SentMessage:
        if params.get_str("inline_message_id") and not params.has("chat_id"):
            raise bad_request("inline messages are not supported by the local Bot API")
        chat_id = params.chat_id()
        self.chat(chat_id)
        message_id = params.get_int("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        message = self.world.find_message(chat_id, message_id)
        if message is None or message.deleted:
            raise bad_request("message to edit not found")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        return message

    def _edited(self, message: SentMessage) -> JSONDict:
        message.edited_count += 1
        message.edit_date = int(self.world.clock())
        self.world.touch()
        self._emit("edited", message)
        return self.world.message_json(message)

    # -- updates, webhook, identity ----------------------------------------------------
    def get_me(self, _params: Params) -> JSONDict:
        return {
            **self.world.bot.to_json(),
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def get_updates(self, params: Params) -> list[JSONDict]:
        if self.world.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        limit = params.get_int("limit") or 100
        return self.world.take_updates(params.get_int("offset"), max(1, min(limit, 100)))

    def set_webhook(self, params: Params) -> bool:
        url = params.get_str("url") or ""
        if not url:
            return self.delete_webhook(params)
        if not url.startswith(("http://", "https://")):
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided")
        secret = params.get_str("secret_token")
        if secret is not None and (
            not 1 <= len(secret) <= 256
            or not all(c.isascii() and (c.isalnum() or c in "_-") for c in secret)
        ):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        if params.get_bool("drop_pending_updates"):
            self.world.drop_updates()
        connections = params.get_int("max_connections") or 40
        self.world.webhook = Webhook(url, secret, max(1, min(connections, 100)))
        self.world.touch()
        return True

    def delete_webhook(self, params: Params) -> bool:
        self.world.webhook = None
        if params.get_bool("drop_pending_updates"):
            self.world.drop_updates()
        self.world.touch()
        return True

    def get_webhook_info(self, _params: Params) -> JSONDict:
        hook = self.world.webhook
        info: JSONDict = {
            "url": hook.url if hook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self.world.updates),
        }
        if hook is not None:
            info["max_connections"] = hook.max_connections
            if hook.last_error_date is not None:
                info["last_error_date"] = hook.last_error_date
                info["last_error_message"] = hook.last_error_message
        return info

    def _commands_key(self, params: Params) -> tuple[str, str]:
        scope = params.get_json("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), params.get_str("language_code") or ""

    def set_my_commands(self, params: Params) -> bool:
        commands = params.get_json("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("can't parse commands JSON object")
        for command in commands:
            if not isinstance(command, dict) or not _COMMAND_RE.match(str(command.get("command"))):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        self.world.commands[self._commands_key(params)] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        self.world.touch()
        return True

    def get_my_commands(self, params: Params) -> list[JSONDict]:
        return list(self.world.commands.get(self._commands_key(params), []))

    def delete_my_commands(self, params: Params) -> bool:
        self.world.commands.pop(self._commands_key(params), None)
        self.world.touch()
        return True

    def set_chat_menu_button(self, params: Params) -> bool:
        """A chat's menu button (``commands``, ``default`` or a ``web_app``
        with an https URL, as Telegram requires); without ``chat_id``, the default."""
        chat_id = params.get_int("chat_id")
        if chat_id is not None:
            self.chat(chat_id)
        button = params.get_json("menu_button") or {"type": "default"}
        kind = button.get("type") if isinstance(button, dict) else None
        if kind not in ("commands", "default", "web_app"):
            raise bad_request("can't parse menu button JSON object")
        if kind == "web_app":
            url = (button.get("web_app") or {}).get("url")
            if not isinstance(url, str) or not url.startswith("https://"):
                raise bad_request("WEB_APP_URL_INVALID")
            if not 1 <= len(str(button.get("text", ""))) <= 64:
                raise bad_request("BUTTON_TEXT_INVALID")
        self.world.menu_buttons[chat_id] = copy.deepcopy(button)
        self.world.touch()
        return True

    def get_chat_menu_button(self, params: Params) -> JSONDict:
        chat_id = params.get_int("chat_id")
        found = self.world.menu_buttons.get(chat_id) or self.world.menu_buttons.get(None)
        return copy.deepcopy(found) if found else {"type": "default"}

    def get_chat(self, params: Params) -> JSONDict:
        user = self.chat(params.chat_id(), allow_blocked=True)
        return {
            **user.chat_json(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    # -- sending -----------------------------------------------------------------------
    def send_message(self, params: Params) -> JSONDict:
        plain, raw, entities = parse_text(params, "text", self.limits, required=True)
        return self._send(params, "text", text=plain, html=raw, entities=entities)

    def send_photo(self, params: Params) -> JSONDict:
        caption = self._caption_fields(params)
        stored = input_file(self.world, params, "photo", "photo")
        return self._send(params, "photo", file_id=stored.file_id, **caption)

    def send_document(self, params: Params) -> JSONDict:
        caption = self._caption_fields(params)
        stored = input_file(self.world, params, "document", "document")
        return self._send(params, "document", file_id=stored.file_id, **caption)

    def send_voice(self, params: Params) -> JSONDict:
        caption = self._caption_fields(params)
        stored = input_file(self.world, params, "voice", "voice")
        return self._send(params, "voice", file_id=stored.file_id, **caption)

    def send_location(self, params: Params) -> JSONDict:
        latitude = params.get_float("latitude", required=True)
        longitude = params.get_float("longitude", required=True)
        assert latitude is not None
        assert longitude is not None
        if not -90.0 <= latitude <= 90.0 or not -180.0 <= longitude <= 180.0:
            raise bad_request("wrong location specified")
        return self._send(params, "location", location=(latitude, longitude))

    def send_chat_action(self, params: Params) -> bool:
        self.chat(params.chat_id())
        if not params.get_str("action"):
            raise bad_request("action is empty")
        return True

    # -- editing and deleting ----------------------------------------------------------
    def edit_message_text(self, params: Params) -> JSONDict:
        message = self._editable(params)
        if message.kind != "text":
            raise bad_request("there is no text in the message to edit")
        plain, raw, entities = parse_text(params, "text", self.limits, required=True)
        rows, _keyboard = parse_markup(params)
        if (plain, entities, rows) == (message.text, message.entities, message.reply_markup):
            raise bad_request(NOT_MODIFIED)
        message.text, message.html, message.entities = plain, raw, entities
        message.reply_markup = rows
        return self._edited(message)

    def edit_message_caption(self, params: Params) -> JSONDict:
        message = self._editable(params)
        if message.kind in ("text", "location"):
            raise bad_request("there is no caption in the message to edit")
        caption = self._caption_fields(params)
        rows, _keyboard = parse_markup(params)
        old = (message.caption, message.caption_entities, message.reply_markup)
        if (caption["caption"], caption["caption_entities"], rows) == old:
            raise bad_request(NOT_MODIFIED)
        message.caption, message.caption_html = caption["caption"], caption["caption_html"]
        message.caption_entities = caption["caption_entities"]
        message.reply_markup = rows
        return self._edited(message)

    def edit_message_reply_markup(self, params: Params) -> JSONDict:
        message = self._editable(params)
        rows, _keyboard = parse_markup(params)
        if rows == message.reply_markup:
            raise bad_request(NOT_MODIFIED)
        message.reply_markup = rows
        return self._edited(message)

    def _delete(self, message: SentMessage) -> None:
        message.deleted = True
        self.world.touch()
        self._emit("deleted", message)

    def delete_message(self, params: Params) -> bool:
        chat_id = params.chat_id()
        self.chat(chat_id, allow_blocked=True)
        message_id = params.get_int("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        message = self.world.find_message(chat_id, message_id)
        if message is None or message.deleted:
            raise bad_request("message to delete not found")
        self._delete(message)
        return True

    def delete_messages(self, params: Params) -> bool:
        chat_id = params.chat_id()
        self.chat(chat_id, allow_blocked=True)
        ids = params.get_json("message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise bad_request("message identifiers are not specified")
        for message_id in ids:
            message = self.world.find_message(chat_id, int(message_id))
            if message is not None and not message.deleted:
                self._delete(message)
        return True

    # -- callbacks and files -----------------------------------------------------------
    def answer_callback_query(self, params: Params) -> bool:
        query = self.world.callback_queries.get(params.get_str("callback_query_id") or "")
        if query is None or query.answer is not None:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        text = params.get_str("text")
        if text is not None and len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        query.answer = CallbackAnswer(
            text=text,
            show_alert=params.get_bool("show_alert"),
            url=params.get_str("url"),
            cache_time=params.get_int("cache_time") or 0,
        )
        self.world.touch()
        return True

    def get_file(self, params: Params) -> JSONDict:
        stored = self.world.files.get(params.get_str("file_id") or "")
        if stored is None:
            raise bad_request("invalid file_id")
        if len(stored.data) > MAX_DOWNLOAD:
            raise bad_request("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }
