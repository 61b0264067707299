"""Whatever arrives at a webhook, the answer is 200 or 4xx: never a 5xx, never a crash.

Each answer is the one expected for that body (an oracle below, from the platforms' rules), reason and all: the
middleware answers a crash 400 too, so "some 4xx" would let one pass; and the crash counter stays where it was."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.clock import FakeClock
from storage.db import Database
from storage.inbound import MAX_DEPTH
from storage.migrate import upgrade
from tests.harness import Harness, running, webhook_crashes

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
line_event = st.fixed_dictionaries(
    {"type": st.sampled_from(["message", "follow", "unfollow", "join", "leave", "postback", "beacon", "weird"])},
    optional={
        "webhookEventId": st.text(min_size=1, max_size=40),
        "source": json_values,
        "message": json_values,
        "replyToken": st.text(max_size=40),
        "timestamp": st.integers(),
        "mode": st.sampled_from(["active", "standby", "x"]),
        "deliveryContext": json_values,
        "postback": json_values,
    },
)
line_bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.lists(line_event, max_size=3).map(lambda events: json.dumps({"destination": "U", "events": events}).encode()),
)
telegram_bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries(
        {"update_id": st.integers(min_value=-(2**40), max_value=2**40)},
        optional={"message": json_values, "callback_query": json_values, "my_chat_member": json_values},
    ).map(lambda u: json.dumps(u).encode()),
)


def depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    return 0


def parsed(body: bytes) -> tuple[int, dict[str, Any]] | Any:
    """The body as JSON, or the refusal every webhook gives a body that is not UTF-8 JSON of a sane depth."""
    try:
        value = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        return 400, {"ok": False, "error": "body is not UTF-8"}
    except ValueError:
        return 400, {"ok": False, "error": "body is not JSON"}
    if depth(value) > MAX_DEPTH:
        return 400, {"ok": False, "error": f"body is nested more than {MAX_DEPTH} deep"}
    return value


OK = (200, {"ok": True})


def expected_line(body: bytes, signed: bool) -> tuple[int, dict[str, Any]]:
    if not signed:
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            return 400, {"ok": False, "error": "body is not UTF-8"}
        return 401, {"ok": False, "error": "invalid X-Line-Signature"}
    value = parsed(body)
    if isinstance(value, tuple):
        return value
    events = value.get("events") if isinstance(value, dict) else None
    if not isinstance(events, list):
        return 400, {"ok": False, "error": "body has no events list"}
    for event in events:
        if not (isinstance(event, dict) and isinstance(event.get("webhookEventId"), str) and event["webhookEventId"]):
            return 400, {"ok": False, "error": "an event has no webhookEventId"}
    return OK


def expected_telegram(body: bytes) -> tuple[int, dict[str, Any]]:
    value = parsed(body)
    if isinstance(value, tuple):
        return value
    update_id = value.get("update_id") if isinstance(value, dict) else None
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        return 400, {"ok": False, "error": "body is not a Telegram update"}
    return OK


def test_webhooks_answer_each_body_as_expected_never_5xx_never_a_crash(tmp_path: Any) -> None:
    with asyncio.Runner() as runner:
        db = Database(f"sqlite+aiosqlite:///{tmp_path}/prop.db")
        runner.run(upgrade(db))
        context = running(db, FakeClock())
        harness: Harness = runner.run(context.__aenter__())
        statuses: set[int] = set()
        crashes_before = webhook_crashes()

        async def answer(response: Any) -> tuple[int, Any]:
            return response.status, await response.json()

        try:

            @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
            @given(body=line_bodies, signed=st.booleans())
            def line(body: bytes, signed: bool) -> None:
                response = runner.run(harness.post_line_body(body, signature="auto" if signed else "c2ln"))
                statuses.add(response.status)
                assert runner.run(answer(response)) == expected_line(body, signed)
                runner.run(harness.settle())  # handling what was stored must not crash either
                assert webhook_crashes() == crashes_before

            @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
            @given(body=telegram_bodies)
            def telegram(body: bytes) -> None:
                response = runner.run(
                    harness.client.post(
                        "/webhooks/telegram",
                        data=body,
                        headers={"X-Telegram-Bot-Api-Secret-Token": "test_webhook_secret-1"},
                    )
                )
                statuses.add(response.status)
                assert runner.run(answer(response)) == expected_telegram(body)
                runner.run(harness.settle())
                assert webhook_crashes() == crashes_before

            line()
            telegram()
        finally:
            runner.run(context.__aexit__(None, None, None))
            runner.run(db.dispose())
        assert {200, 400, 401} <= statuses
