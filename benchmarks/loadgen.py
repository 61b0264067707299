"""`python -m benchmarks.loadgen ...`: post N signed webhook requests at a fixed concurrency; print one JSON line.

Every request carries one distinct event: a LINE text message (unique `webhookEventId`, signed with the channel
secret) or a Telegram private text message (unique `update_id`, with the secret-token header). Senders come from a
pool of `--users` people, so the server does what it does in steady state (known contacts), not first contacts.
Bodies are built and signed before the clock starts; the latency of a request is from just before the POST until
its answer has been read.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sys
import time
from collections import Counter
from typing import Any

import aiohttp

from benchmarks.common import percentile
from tests.fakes.signing import line_signature

TEXT = "สวัสดีครับ ขอสอบถามเรื่องการประชุม"


def line_user_id(k: int) -> str:
    return f"U{k:032x}"


def telegram_user_id(k: int) -> int:
    return 700_000_000 + k


def reply_token(run_id: int, i: int) -> str:
    return f"rt{run_id:06d}{i:024d}"


def line_body(run_id: int, i: int, user: int, now_ms: int) -> bytes:
    event = {
        "type": "message",
        "mode": "active",
        "timestamp": now_ms,
        "source": {"type": "user", "userId": line_user_id(user)},
        "webhookEventId": f"01BENCH{run_id:06d}{i:013d}",
        "deliveryContext": {"isRedelivery": False},
        "replyToken": reply_token(run_id, i),
        "message": {"id": str(run_id * 10_000_000 + i), "type": "text", "text": TEXT, "quoteToken": "q"},
    }
    return json.dumps({"destination": "U0b2ae2f8bc35c793dd1a736d3b052ee9", "events": [event]}).encode()


def telegram_body(run_id: int, i: int, user: int, now_s: int) -> bytes:
    uid = telegram_user_id(user)
    person = {"id": uid, "is_bot": False, "first_name": "ครูสมศรี", "language_code": "th"}
    update = {
        "update_id": run_id * 1_000_000 + i,
        "message": {
            "message_id": run_id * 1_000_000 + i,
            "date": now_s,
            "chat": {"id": uid, "type": "private", "first_name": "ครูสมศรี"},
            "from": person,
            "text": TEXT,
        },
    }
    return json.dumps(update).encode()


def build_requests(args: argparse.Namespace) -> tuple[str, list[tuple[bytes, dict[str, str]]]]:
    now = time.time()
    requests: list[tuple[bytes, dict[str, str]]] = []
    users = range(args.first_user, args.first_user + args.users)
    for i, user in zip(range(args.n), itertools.cycle(users), strict=False):
        if args.channel == "line":
            body = line_body(args.run_id, i, user, int(now * 1000))
            headers = {"Content-Type": "application/json", "X-Line-Signature": line_signature(args.line_secret, body)}
        else:
            body = telegram_body(args.run_id, i, user, int(now))
            headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": args.telegram_secret}
        requests.append((body, headers))
    return f"{args.url}/webhooks/{args.channel}", requests


async def register_reply_tokens(args: argparse.Namespace, session: aiohttp.ClientSession) -> None:
    """Tell the fake LINE API about the reply tokens, as LINE knows the tokens it put in its webhooks."""
    users = itertools.cycle(range(args.first_user, args.first_user + args.users))
    tokens = [[reply_token(args.run_id, i), line_user_id(next(users))] for i in range(args.n)]
    async with session.post(f"{args.control}/reply-tokens", json={"tokens": tokens}) as response:
        response.raise_for_status()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    url, requests = build_requests(args)
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    connector = aiohttp.TCPConnector(limit=args.concurrency, force_close=False)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        if args.control and args.channel == "line":
            await register_reply_tokens(args, session)

        # One request per connection first, so connection set-up is not inside the measured run.
        async def connect() -> None:
            async with session.get(f"{args.url}/healthz") as response:
                await response.read()

        await asyncio.gather(*(connect() for _ in range(args.concurrency)))
        queue = iter(requests)

        async def worker() -> None:
            for body, headers in queue:
                started = time.perf_counter()
                try:
                    async with session.post(url, data=body, headers=headers) as response:
                        await response.read()
                        statuses[str(response.status)] += 1
                except (aiohttp.ClientError, TimeoutError) as exc:
                    statuses[type(exc).__name__] += 1
                latencies.append(time.perf_counter() - started)

        t_start = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(args.concurrency)))
        t_end = time.monotonic()
    wall = t_end - t_start
    ok = statuses.get("200", 0)
    return {
        "n": len(requests),
        "ok": ok,
        "statuses": dict(statuses),
        "wall_s": wall,
        "rps": ok / wall if wall > 0 else 0.0,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p90_ms": percentile(latencies, 90) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "max_ms": max(latencies) * 1000 if latencies else 0.0,
        "t_start": t_start,
        "t_end": t_end,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True, help="base URL of the server, e.g. http://127.0.0.1:8080")
    parser.add_argument("--channel", choices=["line", "telegram"], required=True)
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--run-id", type=int, default=1, help="makes event ids unique across runs")
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--first-user", type=int, default=0)
    parser.add_argument("--line-secret", default="")
    parser.add_argument("--telegram-secret", default="")
    parser.add_argument("--control", default="", help="fakes control URL, to register LINE reply tokens")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
