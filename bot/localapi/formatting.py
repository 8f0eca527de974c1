"""Text helpers for the local Bot API: HTML parse mode, entities, lengths, image sizes.

Entity offsets and lengths are measured in UTF-16 code units, exactly as Telegram does.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

JSONDict = dict[str, Any]

_SIMPLE_TAGS: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "code": "code",
    "pre": "pre",
    "tg-spoiler": "spoiler",
    "blockquote": "blockquote",
}

_COMMAND_RE = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?")


class EntityParseError(ValueError):
    """The text could not be parsed in the requested parse mode."""


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (Telegram's entity unit)."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _Open:
    tag: str
    offset: int
    attrs: dict[str, str]
    byte_offset: int


class _TelegramHTMLParser(HTMLParser):
    def __init__(self, raw: str) -> None:
        super().__init__(convert_charrefs=True)
        self._raw = raw
        self._line_starts = [0]
        for match in re.finditer("\n", raw):
            self._line_starts.append(match.end())
        self.parts: list[str] = []
        self.length = 0  # UTF-16 units emitted so far
        self.stack: list[_Open] = []
        self.entities: list[JSONDict] = []

    def _byte_offset(self) -> int:
        line, col = self.getpos()
        char_offset = self._line_starts[line - 1] + col
        return len(self._raw[:char_offset].encode("utf-8"))

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        self.length += utf16_len(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr_map = {key: value or "" for key, value in attrs}
        known = tag in _SIMPLE_TAGS or tag == "a" or tag == "tg-emoji"
        if tag == "span" and attr_map.get("class") == "tg-spoiler":
            known = True
        if not known:
            raise EntityParseError(
                f'Unsupported start tag "{tag}" at byte offset {self._byte_offset()}'
            )
        self.stack.append(_Open(tag, self.length, attr_map, self._byte_offset()))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raise EntityParseError(
            f'Unsupported start tag "{tag}" at byte offset {self._byte_offset()}'
        )

    def handle_endtag(self, tag: str) -> None:
        if not self.stack:
            raise EntityParseError(
                f'Unexpected end tag at byte offset {self._byte_offset()}, found "</{tag}>"'
            )
        top = self.stack[-1]
        if top.tag != tag:
            raise EntityParseError(
                f"Unmatched end tag at byte offset {self._byte_offset()}, "
                f'expected "</{top.tag}>", found "</{tag}>"'
            )
        self.stack.pop()
        length = self.length - top.offset
        if length <= 0:
            return
        entity = self._entity_for(top, length)
        if entity is not None:
            self.entities.append(entity)

    def _entity_for(self, top: _Open, length: int) -> JSONDict | None:
        entity: JSONDict = {"offset": top.offset, "length": length}
        if top.tag == "a":
            href = top.attrs.get("href", "")
            if not href:
                return None
            entity.update(type="text_link", url=href)
        elif top.tag == "span":
            entity["type"] = "spoiler"
        elif top.tag == "tg-emoji":
            entity.update(type="custom_emoji", custom_emoji_id=top.attrs.get("emoji-id", ""))
        elif top.tag == "blockquote":
            expandable = "expandable" in top.attrs
            entity["type"] = "expandable_blockquote" if expandable else "blockquote"
        elif top.tag == "code" and self.stack and self.stack[-1].tag == "pre":
            # <pre><code class="language-x"> sets the language of the enclosing pre.
            css = top.attrs.get("class", "")
            if css.startswith("language-"):
                self.stack[-1].attrs["language"] = css.removeprefix("language-")
            return None
        else:
            entity["type"] = _SIMPLE_TAGS[top.tag]
            if top.tag == "pre" and top.attrs.get("language"):
                entity["language"] = top.attrs["language"]
        return entity

    def finish(self) -> tuple[str, list[JSONDict]]:
        self.close()
        if self.stack:
            raise EntityParseError(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].tag}"'
            )
        entities = sorted(self.entities, key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.parts), entities


def parse_html(raw: str) -> tuple[str, list[JSONDict]]:
    """Parse Telegram-flavoured HTML into ``(plain_text, entities)``.

    Raises :class:`EntityParseError` for unsupported or unbalanced tags.
    """
    parser = _TelegramHTMLParser(raw)
    parser.feed(raw)
    return parser.finish()


def strip_text(text: str, entities: list[JSONDict]) -> tuple[str, list[JSONDict]]:
    """Strip surrounding whitespace like Telegram does, shifting/clipping entities."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    total = utf16_len(stripped)
    result: list[JSONDict] = []
    for entity in entities:
        start = max(0, int(entity["offset"]) - lead)
        end = min(total, int(entity["offset"]) + int(entity["length"]) - lead)
        if end > start:
            result.append({**entity, "offset": start, "length": end - start})
    return stripped, result


def format_text(
    raw: str, parse_mode: str | None, entities: list[JSONDict] | None
) -> tuple[str, list[JSONDict]]:
    """Turn the bot's ``text``/``caption`` + ``parse_mode`` into stored plain text + entities.

    HTML is parsed fully; Markdown modes are stored as given (no entity extraction).
    """
    mode = (parse_mode or "").lower()
    if mode == "html":
        plain, parsed = parse_html(raw)
    else:
        plain, parsed = raw, list(entities or [])
    return strip_text(plain, parsed)


def command_entities(text: str) -> list[JSONDict]:
    """``bot_command`` entities as Telegram adds them (a command at the start of the text)."""
    match = _COMMAND_RE.match(text)
    if match is None:
        return []
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(match.group(0))}]


def image_size(data: bytes) -> tuple[int, int]:
    """Best-effort (width, height) of PNG/GIF/JPEG/WebP bytes; ``(1, 1)`` if unknown."""
    try:
        if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
            width, height = struct.unpack(">II", data[16:24])
            return int(width), int(height)
        if data[:6] in (b"GIF87a", b"GIF89a"):
            width, height = struct.unpack("<HH", data[6:10])
            return int(width), int(height)
        if data.startswith(b"RIFF") and data[8:12] == b"WEBP" and data[12:16] == b"VP8 ":
            width, height = struct.unpack("<HH", data[26:30])
            return int(width) & 0x3FFF, int(height) & 0x3FFF
        if data.startswith(b"\xff\xd8"):
            return _jpeg_size(data)
    except struct.error:
        pass
    return 1, 1


def _jpeg_size(data: bytes) -> tuple[int, int]:
    index = 2
    while index + 9 < len(data):
        if data[index] != 0xFF:
            index += 1
            continue
        marker = data[index + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
            index += 1 if marker == 0xFF else 2
            continue
        (segment_length,) = struct.unpack(">H", data[index + 2 : index + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[index + 5 : index + 9])
            return int(width), int(height)
        index += 2 + segment_length
    return 1, 1
