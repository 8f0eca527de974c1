"""The callback context of every handler: services, the user's profile and language."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot

from bot.i18n import Translator, match_language, translator
from bot.services import Services
from storage.users import Profile

SERVICES_KEY = "services"


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """Adds ``services``, ``profile`` (set by ``handlers.common.load_profile``) and ``t``."""

    profile: Profile | None = None
    telegram_language: str | None = None

    @property
    def services(self) -> Services:
        services = self.application.bot_data[SERVICES_KEY]
        assert isinstance(services, Services)
        return services

    @property
    def language(self) -> str:
        if self.profile is not None and self.profile.language:
            return self.profile.language
        return match_language(self.telegram_language, self.services.settings.default_language)

    @property
    def t(self) -> Translator:
        return translator(self.language)


BotApplication = Application[
    ExtBot[None], BotContext, dict[Any, Any], dict[Any, Any], dict[Any, Any], Any
]
