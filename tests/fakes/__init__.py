"""Local fakes of the LINE Messaging API and the Telegram Bot API, driven by the real SDK clients in tests."""

from tests.fakes.line_api import Delivery, FakeLineApi
from tests.fakes.line_api import Scripted as LineScripted
from tests.fakes.signing import line_signature
from tests.fakes.telegram_api import FakeTelegramApi, SentMessage
from tests.fakes.telegram_api import Scripted as TelegramScripted

__all__ = [
    "Delivery",
    "FakeLineApi",
    "FakeTelegramApi",
    "LineScripted",
    "SentMessage",
    "TelegramScripted",
    "line_signature",
]
