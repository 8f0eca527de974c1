"""Offline demo mode: the real bot against the built-in local Bot API, with the
terminal (or a pipe) as the chat. See README, "binhdang chat", for the protocol."""

from __future__ import annotations

import asyncio
import shlex
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TextIO

from bot.app import TrackedApplication, build_application, prepare_database
from bot.coordination import AlreadyRunning
from bot.i18n import translator
from bot.localapi import LocalBotApi, SentMessage
from bot.runtime import Intake, ProcessRuntime
from bot.services import Services
from bot.settings import Settings
from handlers import dashboard
from storage import outbox
from web import initdata

SPLIT_AT = 4096  # Telegram's limit of one text message
DEMO_ADMIN_ID = 1
DEMO_USER_ID = 1001
OFFLINE_TOKEN = "123456:offline-demo"


class Transcript:
    """Prints every bot message with its buttons numbered."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.current_user = DEMO_USER_ID
        self._texts: dict[tuple[int, int], str] = {}

    def bot_message(self, message: SentMessage) -> None:
        if not message.from_bot:
            return
        head = "bot" if message.chat_id == self.current_user else f"bot → {message.chat_id}"
        if message.deleted:
            self.deleted(message)
            return
        body = message.text or message.caption or f"[{message.kind}]"
        key = (message.chat_id, message.message_id)
        before, self._texts[key] = self._texts.get(key), body
        if message.edited_count and before is not None:
            # An edit shows only its new lines; one that only took the
            # buttons away shows nothing.
            old = set(before.splitlines())
            body = "\n".join(line for line in body.splitlines() if line not in old)
            if not body and not message.reply_markup:
                return
            head += " (edited)"
        self.out.write(f"{head}: {body}\n")
        if message.reply_markup:
            n = 0
            for row in message.reply_markup:
                labels = []
                for button in row:
                    n += 1
                    labels.append(f"[{n}] {button.get('text', '')}")
                self.out.write("    " + "   ".join(labels) + "\n")
        self.out.flush()

    def deleted(self, message: SentMessage) -> None:
        """A message erased from the chat (discreet mode erases both sides)."""
        who = "bot" if message.from_bot else "your"
        self.out.write(f"(deleted: {who} message {message.message_id})\n")
        self.out.flush()

    def toast(self, text: str, alert: bool) -> None:
        """The answer to a pressed button: a toast, or an alert to dismiss."""
        self.out.write(f"({'alert' if alert else 'toast'}: {text})\n")
        self.out.flush()

    def note(self, text: str) -> None:
        self.out.write(f"({text})\n")
        self.out.flush()


def _read(path: str) -> bytes:
    return Path(path).read_bytes()


async def dispatch(api: LocalBotApi, transcript: Transcript, line: str) -> int | None:
    """Turn one input line into an update; returns its update_id, or None."""
    user = transcript.current_user
    if line.startswith("#") and len(line) > 1:
        target = line[1:]
        try:
            if target.isdigit():
                return await api.press_button(user, index=int(target))
            return await api.press_button(user, label=target)
        except LookupError as exc:
            transcript.note(str(exc))
            return None
    if line.startswith("!"):
        parts = shlex.split(line[1:])
        if not parts:
            return await api.send_text(user, line)
        command, args = parts[0], parts[1:]
        try:
            if command == "user" and args:
                transcript.current_user = int(args[0])
                if len(args) > 1 or transcript.current_user not in api.world.users:
                    api.add_user(
                        transcript.current_user,
                        first_name=f"User {transcript.current_user}",
                        language_code=args[1] if len(args) > 1 else "vi",
                    )
                transcript.note(f"now chatting as user {transcript.current_user}")
                return None
            if command == "location" and len(args) == 2:
                return await api.send_location(user, float(args[0]), float(args[1]))
            if command == "photo" and args:
                return await api.send_photo(user, await asyncio.to_thread(_read, args[0]))
            if command == "voice" and args:
                return await api.send_voice(user, await asyncio.to_thread(_read, args[0]))
        except (OSError, ValueError) as exc:
            transcript.note(f"cannot do {line!r}: {exc}")
            return None
        transcript.note("commands: !user ID [LANG], !location LAT LON, !photo PATH, !voice PATH")
        return None
    if len(line) > SPLIT_AT:
        # Telegram's app sends a longer text as several messages of 4,096 characters.
        last = 0
        for start in range(0, len(line), SPLIT_AT):
            last = await api.send_text(user, line[start : start + SPLIT_AT])
        return last
    return await api.send_text(user, line)


def show_answer(api: LocalBotApi, transcript: Transcript, update_id: int) -> None:
    """What the bot answered to a pressed button, if it said anything."""
    try:
        answer = api.answers_for(update_id)
    except LookupError:
        return  # not a button press
    if answer is not None and answer.text:
        transcript.toast(answer.text, bool(answer.show_alert))


async def outbox_settled(services: Services, patience_s: float = 5.0) -> None:
    """Wait a little for what the bot queued (notices, alerts) to be sent, so
    that the transcript shows it after the line that caused it."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + patience_s
    while loop.time() < deadline:
        async with services.sessions() as session:
            due = await outbox.next_due(session)
            busy = await outbox.claimed_ids(session)
        soon = services.clock() + timedelta(seconds=2)
        if not busy and (due is None or due > soon):
            return
        await asyncio.sleep(0.05)


async def run_chat(
    settings: Settings,
    read_line: Callable[[], str],
    out: TextIO,
    *,
    interactive: bool,
) -> int:
    """Run the bot against a local Bot API and chat with it line by line."""
    if not settings.admin_ids:
        settings = settings.model_copy(update={"admin_ids": [DEMO_ADMIN_ID]})
    services = Services.from_settings(settings)
    transcript = Transcript(out)
    loop = asyncio.get_running_loop()
    async with LocalBotApi() as api:
        api.add_user(
            DEMO_ADMIN_ID, first_name="Nguyễn Thị Hoa", language_code=settings.default_language
        )
        api.add_user(DEMO_USER_ID, first_name="Demo", language_code=settings.default_language)
        api.on_bot_message = transcript.bot_message
        api.on_message_deleted = transcript.deleted
        application = build_application(
            services, token=OFFLINE_TOKEN, base_url=api.base_url, base_file_url=api.base_file_url
        )
        assert isinstance(application, TrackedApplication)
        # The same process as `binhdang run`, polling the local Bot API, with
        # its HTTP server (the dashboard) on loopback at a free port.
        runtime = ProcessRuntime(
            services, application, intake=Intake.POLLING, listen=("127.0.0.1", 0)
        )
        runtime.file_lock.acquire()
        await prepare_database(services)
        async with runtime:
            if interactive:
                t = translator(settings.default_language)
                out.write(
                    t("OFFLINE DEMO MODE: no Telegram connection; this terminal is the chat.")
                    + "\n"
                )
                out.write(
                    t(
                        "To connect to Telegram, set BINHDANG_BOT_TOKEN and run `binhdang run` again."
                    )
                    + "\n"
                )
                out.write(
                    t(
                        "You are user {user}; user {admin} is an administrator (type `!user {admin}`). Ctrl-D ends."
                    ).format(user=DEMO_USER_ID, admin=DEMO_ADMIN_ID)
                    + "\n"
                )
                out.write(
                    t(
                        "Press a button with #N (its number) or #label (its text; accents, case and emoji do not matter), for example #1 or #hom qua."
                    )
                    + "\n"
                )
                out.flush()
            # The dashboard on loopback (docs/dashboard.md), opened as the demo
            # administrator would open the Mini App from Telegram.
            dashboard_url = runtime.web.base_url
            application.bot_data[dashboard.BASE_KEY] = dashboard_url
            out.write(
                "Dashboard: "
                + initdata.app_link(dashboard_url, DEMO_ADMIN_ID, OFFLINE_TOKEN, services.clock())
                + "\n"
            )
            out.flush()
            while True:
                if interactive:
                    out.write(f"{transcript.current_user}> ")
                    out.flush()
                line = await loop.run_in_executor(None, read_line)
                if not line:
                    break
                line = line.rstrip("\r\n")
                if not line.strip():
                    continue
                if not interactive:
                    out.write(f"{transcript.current_user}> {line}\n")
                update_id = await dispatch(api, transcript, line)
                if update_id is not None:
                    await application.wait_processed(update_id)
                    await outbox_settled(services)
                    show_answer(api, transcript, update_id)
    await services.engine.dispose()
    return 0


def main_chat(settings: Settings, interactive: bool | None = None) -> int:
    if interactive is None:
        interactive = sys.stdin.isatty()
    try:
        return asyncio.run(
            run_chat(settings, sys.stdin.readline, sys.stdout, interactive=interactive)
        )
    except AlreadyRunning as exc:
        print(f"binhdang: {exc}", file=sys.stderr)
        return 1
