"""The HTTP client the bot talks to the Bot API with.

python-telegram-bot uses httpx by default. For every request, httpx and
httpcore check each pooled connection for expiry (a ``poll`` and a
``getpeername`` system call per connection), go through anyio, and build
several layers of request objects; that is about half of the bot's CPU time
per update (bench/activity_throughput.py, py-spy). aiohttp does the same work
in a fraction of it, and PTB supports a different client through
:class:`telegram.request.BaseRequest`.

Requests are sent as JSON, which the Bot API takes as well as forms, or as
multipart when there are files. PTB's httpx client sends forms, which escape
every byte of Vietnamese text one by one, in Python: a message with a
keyboard took 0.11 ms to encode as a form and 0.02 ms as JSON, and half the
bytes.

The inline keyboards of the messages in Telegram's answers (each message
the bot sends comes back with its keyboard, each button press with the
message it was on) are dropped before PTB reads them: the bot never reads a
keyboard back, and building a PTB object for every button of every answer
was a tenth of the bot's CPU per update (bench/activity_throughput.py,
BENCH_PROFILE). ``message.reply_markup`` is therefore always None in
handlers.
"""

from __future__ import annotations

import json
import ssl
import urllib.parse
import urllib.request

import aiohttp
import certifi
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import JSONDict, ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

_MARKUP = "reply_markup"
_MESSAGES = ("message", "edited_message", "reply_to_message", "pinned_message")
_STALE_QUERY = b"query is too old"
_ANSWERED = b'{"ok":true,"result":true}'
_JSON = {"Content-Type": "application/json"}


class AiohttpRequest(BaseRequest):
    """A :class:`~telegram.request.BaseRequest` on an aiohttp session.

    ``pool_timeout`` bounds the wait for a free connection together with the
    connection itself (aiohttp's ``connect``); ``write_timeout`` has no
    counterpart in aiohttp, so a request's whole duration is bounded by the
    sum of the four timeouts instead."""

    __slots__ = (
        "_connect_timeout",
        "_media_write_timeout",
        "_pool_size",
        "_pool_timeout",
        "_proxies",
        "_proxy_for",
        "_read_timeout",
        "_session",
        "_write_timeout",
    )

    def __init__(
        self,
        connection_pool_size: int = 8,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[str, str] = {}
        self._proxy_for: dict[str, str | None] = {}

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            # As with PTB's httpx: certifi's CA bundle (a slim image may have no
            # system one), and the proxy environment variables, read here once:
            # aiohttp's trust_env reads them on every request, which doubled
            # its CPU time per request.
            tls = ssl.create_default_context(cafile=certifi.where())
            self._proxies = urllib.request.getproxies_environment()
            self._proxy_for.clear()
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size, ssl=tls),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = (
            self._connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout
        )
        pool = self._pool_timeout if isinstance(pool_timeout, DefaultValue) else pool_timeout
        if isinstance(write_timeout, DefaultValue):
            write = self._media_write_timeout if files else self._write_timeout
        else:
            write = write_timeout
        parts = (read, write, connect, pool)
        timeout = aiohttp.ClientTimeout(
            total=None if None in parts else sum(p for p in parts if p is not None),
            connect=None if connect is None or pool is None else connect + pool,
            sock_connect=connect,
            sock_read=read,
        )
        payload = _body(request_data)
        try:
            async with self._session.request(
                method,
                url,
                data=payload,
                headers=_JSON if isinstance(payload, bytes) else None,
                timeout=timeout,
                proxy=self._proxy(url),
            ) as response:
                status, body = response.status, await response.read()
        except TimeoutError as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{error.__class__.__name__}: {error}") from error
        if status == 400 and url.endswith("/answerCallbackQuery") and _STALE_QUERY in body:
            # A button press delivered again after a crash can no longer be
            # answered; the update must still run (bot.processor.UserStates).
            return 200, _ANSWERED
        return status, body

    @staticmethod
    def parse_json_payload(payload: bytes) -> JSONDict:
        data: JSONDict = BaseRequest.parse_json_payload(payload)
        if b'"reply_markup"' in payload:
            result = data.get("result")
            for item in result if isinstance(result, list) else [result]:
                _drop_keyboards(item)
        return data

    def _proxy(self, url: str) -> str | None:
        if not self._proxies:
            return None
        parts = urllib.parse.urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc}"
        if key not in self._proxy_for:
            bypass = urllib.request.proxy_bypass(parts.hostname or "")
            found = self._proxies.get(parts.scheme) or self._proxies.get("all")
            self._proxy_for[key] = None if bypass else found
        return self._proxy_for[key]


def _drop_keyboards(item: object, depth: int = 0) -> None:
    """A message, an update or a callback query, and the messages inside."""
    if not isinstance(item, dict) or depth > 3:
        return
    item.pop(_MARKUP, None)
    for key in _MESSAGES:
        _drop_keyboards(item.get(key), depth + 1)
    _drop_keyboards(item.get("callback_query"), depth + 1)


def _body(request_data: RequestData | None) -> aiohttp.FormData | bytes | None:
    if request_data is None:
        return None
    files = request_data.multipart_data
    if not files:
        parameters = request_data.parameters
        if not parameters:
            return None
        return json.dumps(parameters, ensure_ascii=False, separators=(",", ":")).encode()
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, part in files.items():
        filename, content, mimetype = _file_part(part)
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form


def _file_part(part: object) -> tuple[str | None, bytes, str | None]:
    if isinstance(part, tuple):
        if len(part) == 3:
            return part[0], part[1], part[2]
        if len(part) == 2:
            return part[0], part[1], None
    if isinstance(part, bytes):
        return None, part, None
    raise TypeError(f"unexpected multipart value {type(part).__name__}")
