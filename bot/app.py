"""The composition root: settings + database + handlers = an Application."""

from __future__ import annotations

import asyncio
import gc
import logging
import warnings
from collections import OrderedDict
from typing import Any

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults
from telegram.warnings import PTBUserWarning

import handlers
from bot import logs
from bot.context import SERVICES_KEY, BotApplication, BotContext
from bot.http import AiohttpRequest
from bot.i18n import translator
from bot.processor import PerUserUpdateProcessor, UserStates, user_of
from bot.services import Services
from handlers import kit
from handlers.common import set_commands
from scheduler import jobs
from scheduler.calendar_seed import seed_calendar
from scheduler.throttle import SharedRateLimiter
from storage import migrate, units, users
from storage.persistence import SqlPersistence

log = logging.getLogger(__name__)
# Conversations deliberately track callbacks per chat, not per message.
warnings.filterwarnings("ignore", message=".*per_message=False", category=PTBUserWarning)


class TrackedApplication(Application):  # type: ignore[type-arg]
    """An Application that tells when it has finished with an update, so that
    the offline chat and the tests can wait for the bot's answer."""

    # Only the newest ids are kept: nobody waits for an update long gone.
    KEEP = 10_000

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._done: OrderedDict[int, None] = OrderedDict()
        self._done_event = asyncio.Condition()
        self.states: UserStates | None = None  # set by build_application
        self._waiters: dict[int, asyncio.Future[None]] = {}

    def enqueue(self, update: Update) -> asyncio.Future[None]:
        """Queue an update; the future is done once the Application has
        finished with it (its handlers returned, or its error was handled),
        and cancelled if the Application stops first. The webhook answers
        Telegram, and the poller confirms the update, only then."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters[id(update)] = waiter
        self.update_queue.put_nowait(update)
        return waiter

    async def process_update(self, update: object) -> None:
        """Returns once the update's state is committed (``UserStates``)."""
        waiter = self._waiters.pop(id(update), None)
        try:
            user_id = user_of(update)
            if self.states is None or user_id is None:
                await super().process_update(update)
            else:
                async with self.states.hold(user_id):
                    await super().process_update(update)
        except Exception as exc:
            # The state was not committed: the update must not be confirmed.
            if waiter is not None and not waiter.done():
                waiter.set_exception(exc)
            raise
        else:
            if waiter is not None and not waiter.done():
                waiter.set_result(None)
        finally:
            if waiter is not None and not waiter.done():
                waiter.cancel()  # stopped (cancelled) before it finished
            if isinstance(update, Update):
                async with self._done_event:
                    self._done[update.update_id] = None
                    while len(self._done) > self.KEEP:
                        self._done.popitem(last=False)
                    self._done_event.notify_all()

    async def wait_processed(self, update_id: int, limit_s: float = 30.0) -> None:
        async with self._done_event:
            await asyncio.wait_for(
                self._done_event.wait_for(lambda: update_id in self._done), limit_s
            )
            self._done.pop(update_id, None)

    async def stop(self) -> None:
        await jobs.stop(self)  # the sender records the messages in flight first
        await super().stop()
        waiters, self._waiters = self._waiters, {}
        for waiter in waiters.values():
            waiter.cancel()  # never processed: Telegram delivers them again


async def prepare_database(services: Services) -> None:
    """Migrate, load the official tree on first start, and name the administrators."""
    await migrate.upgrade(services.engine)
    async with services.sessions.begin() as session:
        if await units.count_units(session) == 0:
            added, _ = await units.import_official_tree(session)
            log.info("loaded %d provinces and communes", added)
        await users.ensure_admins(session, services.settings.admin_ids)
        await seed_calendar(session)


async def startup(application: Application) -> None:  # type: ignore[type-arg]
    """What runs once the bot is initialised and before it takes updates.
    The database must be prepared before ``initialize()``, which reads the
    persisted conversations."""
    await set_commands(application)
    await jobs.start(application)
    kit.resume_held_parts(application)  # a split text's first part, held when the last process died


def settle_memory() -> None:
    """Call once the process has loaded what it keeps for life (modules, the
    unit tree, translations), just before taking updates. Python's full
    garbage collections walk every object; with these ~1 M objects they
    stopped the bot for up to 217 ms (bench/activity_throughput.py,
    BENCH_GC=1). Frozen, they are no longer walked."""
    gc.collect()
    gc.freeze()


def build_application(
    services: Services,
    *,
    token: str,
    base_url: str | None = None,
    base_file_url: str | None = None,
) -> BotApplication:
    """The Application with every handler, persistence and defaults. Whoever
    runs it awaits :func:`prepare_database` before ``initialize()`` and
    :func:`startup` after it (``run_polling`` does the latter in ``post_init``)."""
    logs.install()  # no report text in any log (bot/logs.py)
    persistence = SqlPersistence(services.sessions)
    shared = services.engine.dialect.name != "sqlite"
    builder = (
        ApplicationBuilder()
        .application_class(TrackedApplication)
        .token(token)
        .context_types(ContextTypes(context=BotContext))
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=services.settings.zone))
        .persistence(persistence)
        # Each update in flight holds a connection for its user's lock (UserStates).
        .concurrent_updates(PerUserUpdateProcessor(8 if shared else 16))
        # 8 requests in flight exceed Telegram's 30 messages/s; requests beyond
        # them wait for a connection rather than fail.
        .request(AiohttpRequest(connection_pool_size=8, pool_timeout=30))
        .get_updates_request(AiohttpRequest(connection_pool_size=1))
        .post_init(startup)
    )
    # Two budgets (docs/outbox.md, "Several processes and the rate budget"):
    # the outbox's, which the leader alone spends, and this process's replies.
    throttle = jobs.make_throttle(services)
    builder = builder.rate_limiter(SharedRateLimiter(jobs.make_throttle(services)))
    if base_url:
        builder = builder.base_url(base_url).base_file_url(base_file_url or base_url)
    application: BotApplication = builder.build()
    if isinstance(application, TrackedApplication):
        application.states = UserStates(application, persistence, shared=shared)
    application.bot_data[SERVICES_KEY] = services
    jobs.attach(application, services, throttle, translator)
    handlers.register(application)
    return application
