"""Routing an event to the function that handles it, in the style of aiogram's routers.

Each feature module makes a `Router` and registers commands, button prefixes, conversation flows and
event kinds on it; `handlers.chat.dispatch` includes them in order. Handlers return the messages to answer with.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from core.model import Event, EventKind, OutMessage
from handlers.chat.context import Context

Handler = Callable[[Event, Context], Awaitable[Sequence[OutMessage]]]


class Router:
    def __init__(self, name: str) -> None:
        self.name = name
        self.commands: dict[str, Handler] = {}
        self.postbacks: dict[str, Handler] = {}  # data prefix, e.g. "reg:" -> handler
        self.flows: dict[str, Handler] = {}  # conversation flow name -> handler of its typed answers
        self.kinds: dict[EventKind, Handler] = {}

    def _register(self, table: dict[str, Handler], *keys: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            for key in keys:
                table[key] = handler
            return handler

        return register

    def command(self, *names: str) -> Callable[[Handler], Handler]:
        return self._register(self.commands, *names)

    def postback(self, prefix: str) -> Callable[[Handler], Handler]:
        return self._register(self.postbacks, prefix)

    def flow(self, name: str) -> Callable[[Handler], Handler]:
        return self._register(self.flows, name)

    def on(self, kind: EventKind) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.kinds[kind] = handler
            return handler

        return register


def find_command(routers: Sequence[Router], name: str) -> Handler | None:
    return next((r.commands[name] for r in routers if name in r.commands), None)


def find_postback(routers: Sequence[Router], data: str) -> Handler | None:
    for router in routers:
        for prefix, handler in router.postbacks.items():
            if data.startswith(prefix):
                return handler
    return None


def find_flow(routers: Sequence[Router], flow: str) -> Handler | None:
    return next((r.flows[flow] for r in routers if flow in r.flows), None)


def find_kind(routers: Sequence[Router], kind: EventKind) -> Handler | None:
    return next((r.kinds[kind] for r in routers if kind in r.kinds), None)
