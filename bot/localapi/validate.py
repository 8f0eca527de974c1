"""Validation of message content the bot sends: text, captions, reply markup, files."""

from __future__ import annotations

import copy
from typing import Any

from .formatting import EntityParseError, format_text, image_size, utf16_len
from .limits import Limits
from .params import Params, bad_request
from .world import MessageKind, Rows, StoredFile, World

JSONDict = dict[str, Any]

INLINE_ACTIONS = frozenset(
    {
        "url",
        "callback_data",
        "web_app",
        "login_url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "copy_text",
        "callback_game",
        "pay",
    }
)
REPLY_MARKUP_KEYS = frozenset({"keyboard", "remove_keyboard", "force_reply"})
_FILE_TYPE_NAMES = {"photo": "Photo", "document": "Document", "voice": "Voice"}


def parse_text(
    params: Params, field: str, limits: Limits, *, required: bool
) -> tuple[str | None, str | None, list[JSONDict]]:
    """Return ``(plain, raw, entities)`` for ``text`` or ``caption``."""
    raw = params.get_str(field)
    is_caption = field == "caption"
    if raw is None and not required:
        return None, None, []
    entities_field = "caption_entities" if is_caption else "entities"
    entities = params.get_json(entities_field)
    if entities is not None and not isinstance(entities, list):
        raise bad_request(f"can't parse {entities_field} JSON object")
    try:
        plain, parsed = format_text(raw or "", params.get_str("parse_mode"), entities)
    except EntityParseError as exc:
        raise bad_request(f"can't parse entities: {exc}") from None
    if not plain:
        if is_caption:
            return None, None, []
        raise bad_request("message text is empty")
    length = utf16_len(plain) if limits.count_utf16 else len(plain)
    if is_caption and length > limits.max_caption_length:
        raise bad_request("message caption is too long")
    if not is_caption and length > limits.max_text_length:
        raise bad_request("message is too long")
    return plain, raw, parsed


def parse_markup(params: Params) -> tuple[Rows | None, JSONDict | None]:
    """Return ``(inline_rows, other_markup)``; an empty inline keyboard means no keyboard."""
    raw = params.get_json("reply_markup")
    if raw is None:
        return None, None
    if not isinstance(raw, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in raw:
        return _inline_rows(raw["inline_keyboard"]), None
    if REPLY_MARKUP_KEYS & raw.keys():
        return None, copy.deepcopy(raw)
    raise bad_request("can't parse reply keyboard markup JSON object")


def _inline_rows(rows: Any) -> Rows | None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array')
    result: Rows = []
    for row in rows:
        checked: list[JSONDict] = []
        for button in row:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise bad_request(
                    'can\'t parse inline keyboard button: Field "text" must be of type String'
                )
            actions = INLINE_ACTIONS & button.keys()
            if not actions:
                raise bad_request(
                    "can't parse inline keyboard button: "
                    "Text buttons are unallowed in the inline keyboard"
                )
            if "callback_data" in button:
                data = button["callback_data"]
                if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64:
                    raise bad_request("BUTTON_DATA_INVALID")
            if "web_app" in button:
                url = (
                    (button["web_app"] or {}).get("url")
                    if isinstance(button["web_app"], dict)
                    else None
                )
                if not isinstance(url, str) or not url.startswith("https://"):
                    raise bad_request("BUTTON_URL_INVALID")
            if "url" in button:
                url = button["url"]
                if not isinstance(url, str) or not url.startswith(("http://", "https://", "tg://")):
                    raise bad_request("BUTTON_URL_INVALID")
            checked.append(copy.deepcopy(button))
        if checked:
            result.append(checked)
    return result or None


def reply_target(world: World, chat_id: int, params: Params) -> int | None:
    """The message id this message replies to, validating that it exists."""
    message_id = params.get_int("reply_to_message_id")
    allow_missing = params.get_bool("allow_sending_without_reply")
    reply = params.get_json("reply_parameters")
    if isinstance(reply, dict) and reply.get("message_id") is not None:
        message_id = int(reply["message_id"])
        allow_missing = bool(reply.get("allow_sending_without_reply", allow_missing))
    if message_id is None:
        return None
    target = world.find_message(chat_id, message_id)
    if target is None or target.deleted:
        if allow_missing:
            return None
        raise bad_request("message to be replied not found")
    return message_id


def input_file(world: World, params: Params, field: str, kind: MessageKind) -> StoredFile:
    """Resolve an uploaded file, an ``attach://`` reference or an existing file_id."""
    value = params.get_str(field)
    upload = params.files.get(field)
    if upload is None and value and value.startswith("attach://"):
        upload = params.files.get(value.removeprefix("attach://"))
    if upload is not None:
        if kind == "photo":
            width, height = image_size(upload.data)
            return world.add_file("photo", upload.data, width=width, height=height)
        if kind == "voice":
            duration = params.get_int("duration") or 1
            return world.add_file("voice", upload.data, mime_type="audio/ogg", duration=duration)
        mime = upload.content_type or "application/octet-stream"
        return world.add_file(kind, upload.data, file_name=upload.filename, mime_type=mime)
    if not value:
        raise bad_request(f"there is no {field} in the request")
    existing = world.files.get(value)
    if existing is None:
        if value.startswith(("http://", "https://")):
            raise bad_request("failed to get HTTP URL content")
        raise bad_request("wrong file identifier/HTTP URL specified")
    if existing.kind != kind:
        raise bad_request(
            f"can't use file of type {_FILE_TYPE_NAMES.get(existing.kind, existing.kind)} "
            f"as {_FILE_TYPE_NAMES.get(kind, kind)}"
        )
    return existing
