"""Local Telegram Bot API server for the offline demo mode and end-to-end tests."""

from .limits import Limits
from .server import LocalBotApi, RequestRecord
from .world import BotIdentity, CallbackAnswer, SentMessage, User

__all__ = [
    "BotIdentity",
    "CallbackAnswer",
    "Limits",
    "LocalBotApi",
    "RequestRecord",
    "SentMessage",
    "User",
]
