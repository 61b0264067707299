"""Whatever arrives at a webhook, the answer is 200 or 4xx: never a 5xx, never a crash."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.clock import FakeClock
from storage.db import Database
from storage.migrate import upgrade
from tests.harness import Harness, running

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


def test_webhooks_never_answer_5xx(tmp_path: Any) -> None:
    with asyncio.Runner() as runner:
        db = Database(f"sqlite+aiosqlite:///{tmp_path}/prop.db")
        runner.run(upgrade(db))
        context = running(db, FakeClock())
        harness: Harness = runner.run(context.__aenter__())
        statuses: set[int] = set()
        try:

            @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
            @given(body=line_bodies, signed=st.booleans())
            def line(body: bytes, signed: bool) -> None:
                response = runner.run(harness.post_line_body(body, signature="auto" if signed else "c2ln"))
                statuses.add(response.status)
                assert response.status == 200 or 400 <= response.status < 500
                runner.run(harness.settle())  # handling what was stored must not crash either

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
                assert response.status == 200 or 400 <= response.status < 500
                runner.run(harness.settle())

            line()
            telegram()
        finally:
            runner.run(context.__aexit__(None, None, None))
            runner.run(db.dispose())
        assert {200, 400, 401} <= statuses
