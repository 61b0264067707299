"""The two webhook baselines bench_ingest measures beside PhuanKru, each run as a process of its own.

- `ptb`: a plain python-telegram-bot v22 webhook bot with one no-op handler, the way PTB's custom-webhook
  example wires it: an `Application` without `Updater`, and a web route that checks the secret header and
  puts `Update.de_json(...)` on `application.update_queue`. Telegram only: PTB has no LINE side.
- `bare`: an aiohttp endpoint that only checks the LINE signature (or the Telegram secret) and answers 200:
  the ceiling of this web stack, load generator and machine.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac

from aiohttp import web

from benchmarks.common import serve_until_signalled

OK = {"ok": True}


def _line_signature_ok(secret: bytes, body: bytes, signature: str | None) -> bool:
    if not signature:
        return False
    digest = base64.b64encode(hmac.new(secret, body, hashlib.sha256).digest()).decode("ascii")
    return hmac.compare_digest(digest, signature)


def _telegram_secret_ok(secret: str, header: str | None) -> bool:
    return header is not None and hmac.compare_digest(header.encode(), secret.encode())


async def _healthz(request: web.Request) -> web.Response:
    return web.json_response(OK)


async def run_bare(port: int, line_secret: str, telegram_secret: str) -> None:
    secret = line_secret.encode()

    async def line(request: web.Request) -> web.Response:
        body = await request.read()
        if not _line_signature_ok(secret, body, request.headers.get("X-Line-Signature")):
            return web.json_response({"ok": False}, status=401)
        return web.json_response(OK)

    async def telegram(request: web.Request) -> web.Response:
        await request.read()
        if not _telegram_secret_ok(telegram_secret, request.headers.get("X-Telegram-Bot-Api-Secret-Token")):
            return web.json_response({"ok": False}, status=401)
        return web.json_response(OK)

    app = web.Application()
    app.router.add_get("/healthz", _healthz)
    app.router.add_post("/webhooks/line", line)
    app.router.add_post("/webhooks/telegram", telegram)
    await serve_until_signalled(app, port)


async def run_ptb(port: int, token: str, api_base_url: str, telegram_secret: str) -> None:
    from telegram import Update
    from telegram.ext import Application, ContextTypes, MessageHandler, filters

    async def noop(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        return None

    application = Application.builder().token(token).base_url(f"{api_base_url}/bot").updater(None).build()
    application.add_handler(MessageHandler(filters.ALL, noop))

    async def telegram(request: web.Request) -> web.Response:
        if not _telegram_secret_ok(telegram_secret, request.headers.get("X-Telegram-Bot-Api-Secret-Token")):
            return web.json_response({"ok": False}, status=401)
        data = await request.json()
        await application.update_queue.put(Update.de_json(data, application.bot))
        return web.json_response(OK)

    app = web.Application()
    app.router.add_get("/healthz", _healthz)
    app.router.add_post("/webhooks/telegram", telegram)
    async with application:
        await application.start()
        try:
            await serve_until_signalled(app, port)
        finally:
            await application.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["ptb", "bare"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--line-secret", default="")
    parser.add_argument("--telegram-secret", required=True)
    parser.add_argument("--telegram-token", default="")
    parser.add_argument("--telegram-api", default="")
    args = parser.parse_args()
    if args.kind == "bare":
        asyncio.run(run_bare(args.port, args.line_secret, args.telegram_secret))
    else:
        asyncio.run(run_ptb(args.port, args.telegram_token, args.telegram_api, args.telegram_secret))


if __name__ == "__main__":
    main()
