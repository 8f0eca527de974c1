"""Tornado request handlers: the bot-facing Bot API, file downloads and control endpoints."""

from __future__ import annotations

import json
import logging
import time
from typing import TYPE_CHECKING, Any

import tornado.web

from .params import ApiError, Params, UploadedFile

if TYPE_CHECKING:
    from .server import LocalBotApi

_LOGGER = logging.getLogger(__name__)
MAX_POLL_TIMEOUT = 50


class _JsonHandler(tornado.web.RequestHandler):
    api: LocalBotApi

    def initialize(self, api: LocalBotApi) -> None:
        self.api = api

    def check_xsrf_cookie(self) -> None:
        return None

    def send_json(self, status: int, payload: Any) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(payload, ensure_ascii=False))


class BotApiHandler(_JsonHandler):
    """``/bot<token>/<method>``: every method, GET or POST, any body encoding."""

    _disconnected = False

    def on_connection_close(self) -> None:
        self._disconnected = True
        self.api.notify()

    def _params(self) -> Params:
        values: dict[str, Any] = {
            key: items[-1].decode("utf-8", "replace")
            for key, items in self.request.query_arguments.items()
        }
        content_type = self.request.headers.get("Content-Type", "")
        if content_type.startswith("application/json") and self.request.body:
            try:
                body = json.loads(self.request.body)
            except ValueError:
                raise ApiError(400, "Bad Request: can't parse JSON body") from None
            if not isinstance(body, dict):
                raise ApiError(400, "Bad Request: JSON body must be an object")
            values.update(body)
        else:
            for key, items in self.request.body_arguments.items():
                values[key] = items[-1].decode("utf-8", "replace")
        files = {
            key: UploadedFile(items[0].filename or None, items[0].body, items[0].content_type)
            for key, items in self.request.files.items()
            if items
        }
        return Params(values, files)

    async def get(self, token: str, method: str) -> None:
        await self._handle(method)

    async def post(self, token: str, method: str) -> None:
        await self._handle(method)

    async def _handle(self, method: str) -> None:
        received = time.monotonic()
        chat_id: int | None = None
        try:
            params = self._params()
            try:
                chat_id = params.get_int("chat_id")
            except ApiError:
                chat_id = None
            if method.lower() == "getupdates":
                result = await self._get_updates(params)
            else:
                result = self.api.methods.call(method, params)
            status, payload = 200, {"ok": True, "result": result}
        except ApiError as exc:
            status, payload = exc.code, exc.payload()
        except Exception as exc:  # a bug in the local server: answer like Telegram would
            _LOGGER.exception("local Bot API failed on %s", method)
            status = 500
            payload = {
                "ok": False,
                "error_code": 500,
                "description": f"Internal Server Error: {exc}",
            }
        self.api.record(method, chat_id, received, status, payload)
        self.api.notify()
        if not self._disconnected:
            self.send_json(status, payload)

    async def _get_updates(self, params: Params) -> list[dict[str, Any]]:
        timeout = max(0.0, min(float(params.get_float("timeout") or 0.0), MAX_POLL_TIMEOUT))
        deadline = time.monotonic() + timeout
        while True:
            updates = self.api.methods.get_updates(params)
            remaining = deadline - time.monotonic()
            if updates or remaining <= 0 or self.api.closing or self._disconnected:
                return updates
            await self.api.wait_change(remaining)


class FileHandler(tornado.web.RequestHandler):
    """``/file/bot<token>/<file_path>``: downloads of stored files."""

    api: LocalBotApi

    def initialize(self, api: LocalBotApi) -> None:
        self.api = api

    def get(self, token: str, file_path: str) -> None:
        stored = self.api.world.files_by_path.get(file_path)
        if stored is None:
            self.set_status(404)
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps({"ok": False, "error_code": 404, "description": "Not Found"}))
            return
        self.set_header("Content-Type", stored.mime_type or "application/octet-stream")
        self.finish(stored.data)


class _ControlHandler(_JsonHandler):
    def body(self) -> dict[str, Any]:
        if not self.request.body:
            return {}
        data = json.loads(self.request.body)
        if not isinstance(data, dict):
            raise ValueError("JSON body must be an object")
        return data

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"ok": False, "description": self._reason}))

    async def guarded(self, action: Any) -> None:
        try:
            result = await action()
        except LookupError as exc:
            self.send_json(404, {"ok": False, "description": str(exc)})
        except (ValueError, TypeError, KeyError) as exc:
            self.send_json(400, {"ok": False, "description": str(exc)})
        else:
            self.send_json(200, {"ok": True, "result": result})


class ControlUserHandler(_ControlHandler):
    """POST ``/_control/users/<id>/<action>`` with action text|press|block|location."""

    async def post(self, user_id_text: str, action: str) -> None:
        user_id = int(user_id_text)

        async def run() -> Any:
            body = self.body()
            api = self.api
            if action == "text":
                return {"update_id": await api.send_text(user_id, str(body["text"]))}
            if action == "press":
                if "message_id" in body:
                    update_id = await api.press(user_id, int(body["message_id"]), str(body["data"]))
                else:
                    index = body.get("index")
                    update_id = await api.press_button(
                        user_id,
                        index=int(index) if index is not None else None,
                        label=body.get("label"),
                    )
                return {"update_id": update_id}
            if action == "block":
                api.block(user_id, bool(body.get("blocked", True)))
                return True
            if action == "location":
                latitude, longitude = float(body["latitude"]), float(body["longitude"])
                return {"update_id": await api.send_location(user_id, latitude, longitude)}
            raise LookupError(f"unknown control action {action!r}")

        await self.guarded(run)


class ControlMessagesHandler(_ControlHandler):
    """GET ``/_control/chats/<id>/messages[?include_deleted=1&side=bot|all]``."""

    async def get(self, chat_id_text: str) -> None:
        chat_id = int(chat_id_text)
        include_deleted = self.get_argument("include_deleted", "0") in ("1", "true")
        bot_only = self.get_argument("side", "all") == "bot"
        messages = self.api.messages(chat_id, include_deleted=include_deleted)
        if bot_only:
            messages = [m for m in messages if m.from_bot]
        self.send_json(200, [m.to_dict() for m in messages])


class ControlLogHandler(_ControlHandler):
    """GET ``/_control/log``: the request log (times are this process's monotonic clock)."""

    async def get(self) -> None:
        self.send_json(200, [record.to_dict() for record in self.api.log])


def make_app(api: LocalBotApi) -> tornado.web.Application:
    args = {"api": api}
    return tornado.web.Application(
        [
            (r"/bot([^/]+)/([^/]+)", BotApiHandler, args),
            (r"/file/bot([^/]+)/(.+)", FileHandler, args),
            (r"/_control/users/(-?\d+)/([a-z_]+)", ControlUserHandler, args),
            (r"/_control/chats/(-?\d+)/messages", ControlMessagesHandler, args),
            (r"/_control/log", ControlLogHandler, args),
        ],
        log_function=lambda _handler: None,
    )
