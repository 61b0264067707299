"""`python -m benchmarks.fakes_server --port P`: the test fakes of LINE and Telegram in a process of their own.

A control app on 127.0.0.1:P steers them, so the process being measured never shares its event loop with them:

- `POST /configure` `{"line": {"latency_s", "rate_limit_per_s"}, "telegram": {...}}`: fresh fakes, their URLs back
- `POST /reply-tokens` `{"tokens": [[token, user_id], ...]}`: LINE reply tokens, as if webhooks had carried them
- `GET /stats`: what was delivered to whom and when (monotonic clock), and how many requests got a 429
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import Counter
from typing import Any

from aiohttp import web

from benchmarks.common import serve_until_signalled
from tests.fakes import FakeLineApi, FakeTelegramApi
from tests.fakes.telegram_api import ApiError


class TimedList(list[Any]):
    """A list that notes when each item was appended (the fakes append one per delivered message)."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []

    def append(self, item: Any) -> None:
        self.times.append(time.monotonic())
        super().append(item)


class CountingWindow:
    """Wraps the LINE fake's sliding window to count refusals (each one is a 429 answer)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.refused = 0

    def admit(self, now: float) -> bool:
        admitted = bool(self.inner.admit(now))
        if not admitted:
            self.refused += 1
        return admitted


class Fakes:
    def __init__(self) -> None:
        self.line: FakeLineApi | None = None
        self.telegram: FakeTelegramApi | None = None
        self.telegram_429 = 0

    async def configure(self, request: web.Request) -> web.Response:
        options: dict[str, Any] = await request.json()
        await self.close()
        line_options = options.get("line") or {}
        telegram_options = options.get("telegram") or {}
        self.line = FakeLineApi(
            latency_s=float(line_options.get("latency_s") or 0.0), rate_limit_per_s=line_options.get("rate_limit_per_s")
        )
        self.telegram = FakeTelegramApi(
            latency_s=float(telegram_options.get("latency_s") or 0.0),
            rate_limit_per_s=telegram_options.get("rate_limit_per_s"),
        )
        await self.line.start()
        await self.telegram.start()
        self.line.deliveries = TimedList()
        self.telegram.sent = TimedList()
        if self.line._window is not None:
            self.line._window = CountingWindow(self.line._window)  # type: ignore[assignment]
        self.telegram_429 = 0
        admit = self.telegram._admit

        def counting_admit(chat_id: str) -> None:
            try:
                admit(chat_id)
            except ApiError as exc:
                if exc.status == 429:
                    self.telegram_429 += 1
                raise

        self.telegram._admit = counting_admit  # type: ignore[method-assign]
        return web.json_response(
            {
                "line": self.line.base_url,
                "line_token": self.line.access_token,
                "telegram": self.telegram.base_url,
                "telegram_token": self.telegram.token,
            }
        )

    async def reply_tokens(self, request: web.Request) -> web.Response:
        body = await request.json()
        if self.line is None:
            raise web.HTTPConflict(text="not configured")
        for token, to in body["tokens"]:
            self.line.issue_reply_token(token, to=to)
        return web.json_response({"ok": True})

    async def stats(self, request: web.Request) -> web.Response:
        out: dict[str, Any] = {}
        if self.telegram is not None:
            sent = self.telegram.sent
            out["telegram"] = {
                "requests": dict(Counter(r.method for r in self.telegram.requests)),
                "sent": dict(Counter(s.chat_id for s in sent)),
                "sent_total": len(sent),
                "sent_times": list(getattr(sent, "times", [])),
                "refused_429": self.telegram_429,
            }
        if self.line is not None:
            deliveries = self.line.deliveries
            window = self.line._window
            out["line"] = {
                "requests": dict(Counter(r.path.rsplit("/", 1)[-1] for r in self.line.requests)),
                "delivered": dict(Counter(d.to for d in deliveries)),
                "delivered_total": len(deliveries),
                "delivered_by_endpoint": dict(Counter(d.endpoint for d in deliveries)),
                "delivery_times": list(getattr(deliveries, "times", [])),
                "refused_429": window.refused if isinstance(window, CountingWindow) else 0,
            }
        return web.json_response(out)

    async def health(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def close(self) -> None:
        for fake in (self.line, self.telegram):
            if fake is not None:
                await fake.stop()
        self.line = self.telegram = None


async def serve(port: int) -> None:
    fakes = Fakes()
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_get("/health", fakes.health)
    app.router.add_post("/configure", fakes.configure)
    app.router.add_post("/reply-tokens", fakes.reply_tokens)
    app.router.add_get("/stats", fakes.stats)
    try:
        await serve_until_signalled(app, port)
    finally:
        await fakes.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    asyncio.run(serve(args.port))


if __name__ == "__main__":
    main()
