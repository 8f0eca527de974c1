"""What a reporter sends for a report or for an addition to it (thông tin bổ
sung): texts, photos and recordings, encrypted into the draft as they arrive,
so that the persisted conversation never holds them in clear."""

from __future__ import annotations

from enum import Enum
from typing import Any

from telegram import Update

from bot.i18n import Translator
from storage import incidents
from storage.incidents import Cipher
from storage.incidents.intake import MAX_DESCRIPTION, MAX_MEDIA

MEDIA_KINDS = ("voice", "video", "audio", "document")


class Added(Enum):
    OK = "ok"
    NOTHING = "nothing"  # nothing usable in the message: ask again
    FULL = "full"  # the draft holds all it may: tell them to tap Done


def media_of(update: Update) -> tuple[str, str] | None:
    message = update.effective_message
    if message is None:
        return None
    if message.photo:
        return "photo", message.photo[-1].file_id
    for kind in MEDIA_KINDS:
        item = getattr(message, kind, None)
        if item is not None:
            return kind, item.file_id
    return None


def _append_text(cipher: Cipher, current: dict[str, Any], text: str) -> None:
    current.setdefault("text", []).append(cipher.encrypt("draft.text", text))
    current["text_len"] = int(current.get("text_len", 0)) + len(text)


def add_text(cipher: Cipher, current: dict[str, Any], text: str) -> Added:
    text = text.strip()
    if not text:
        return Added.NOTHING
    if int(current.get("text_len", 0)) + len(text) > MAX_DESCRIPTION:
        return Added.FULL
    _append_text(cipher, current, text)
    return Added.OK


def add_media(cipher: Cipher, current: dict[str, Any], update: Update) -> Added:
    """A photo or recording, and its caption (at most 1,024 characters in
    Telegram, so it is kept even when it passes the text limit)."""
    found = media_of(update)
    if found is None:
        return Added.NOTHING
    media: list[str] = current.setdefault("media", [])
    if len(media) >= MAX_MEDIA:
        return Added.FULL
    kind, file_id = found
    media.append(cipher.encrypt_json("draft.media", {"kind": kind, "file_id": file_id}))
    message = update.effective_message
    if message is not None and message.caption and message.caption.strip():
        _append_text(cipher, current, message.caption.strip()[:1024])
    return Added.OK


def received(t: Translator, current: dict[str, Any]) -> str:
    return t(
        "Received: {texts} written, {media} photos or recordings. Send more, or tap Done."
    ).format(texts=len(current.get("text", [])), media=len(current.get("media", [])))


def opened(cipher: Cipher, current: dict[str, Any]) -> tuple[str, list[incidents.Media]]:
    """The collected texts as one description, and the media, decrypted."""
    text = "\n\n".join(cipher.decrypt("draft.text", p) for p in current.get("text", []))
    media = [
        incidents.Media(str(item["kind"]), str(item["file_id"]))
        for item in (cipher.decrypt_json("draft.media", m) for m in current.get("media", []))
    ]
    return text, media
