"""Routing an event to the function that handles it, in the style of aiogram's routers.

Each feature module makes a `Router` and registers commands, button prefixes and event kinds on it;
`handlers.dispatch` includes them in order. Handlers return the messages to answer with.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from handlers.context import Context
from handlers.model import Event, EventKind, OutMessage

Handler = Callable[[Event, Context], Awaitable[Sequence[OutMessage]]]


class Router:
    def __init__(self, name: str) -> None:
        self.name = name
        self.commands: dict[str, Handler] = {}
        self.postbacks: dict[str, Handler] = {}  # data prefix, e.g. "reg:" -> handler
        self.kinds: dict[EventKind, Handler] = {}

    def command(self, *names: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            for name in names:
                self.commands[name] = handler
            return handler

        return register

    def postback(self, prefix: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.postbacks[prefix] = handler
            return handler

        return register

    def on(self, kind: EventKind) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.kinds[kind] = handler
            return handler

        return register


def find_handler(routers: Sequence[Router], event: Event) -> Handler | None:
    command = event.command
    if command is not None:
        for router in routers:
            if command[0] in router.commands:
                return router.commands[command[0]]
        return None
    if event.kind is EventKind.POSTBACK and event.data:
        for router in routers:
            for prefix, handler in router.postbacks.items():
                if event.data.startswith(prefix):
                    return handler
        return None
    for router in routers:
        if event.kind in router.kinds:
            return router.kinds[event.kind]
    return None
