"""The atheris target tests/fuzz/fuzz_webhooks.py, run on a few thousand generated inputs without atheris.

`make fuzz` runs it coverage-guided; this keeps the target itself working in every CI run and puts the adapters'
parsers through thousands of random and fixture-shaped inputs.
"""

from __future__ import annotations

import json
import random
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz import fuzz_webhooks as target


@settings(max_examples=2500, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(min_size=1, max_size=600))
def test_the_webhook_fuzz_target_holds_on_generated_inputs(data: bytes) -> None:
    target.TestOneInput(data)


def test_the_target_reaches_the_parsers_with_valid_payloads() -> None:
    """Fixture-shaped and unchanged inputs go all the way through verify and to_event: the target is not vacuous."""
    seen: set[str] = set()
    original_line, original_telegram = target.LINE.to_event, target.TELEGRAM.to_event

    def line_event(raw: dict[str, object]) -> target.Event:
        event = original_line(raw)
        seen.add(f"line:{event.kind.value}")
        return event

    def telegram_event(raw: dict[str, object]) -> target.Event:
        event = original_telegram(raw)
        seen.add(f"telegram:{event.kind.value}")
        return event

    target.LINE.to_event = line_event  # type: ignore[method-assign]
    target.TELEGRAM.to_event = telegram_event  # type: ignore[method-assign]
    try:
        for event in target.LINE_EVENTS:
            target.check_line(json.dumps({"events": [event]}).encode(), target.Source(b"\x01"))
        for update in target.TELEGRAM_UPDATES:
            target.check_telegram(json.dumps(update).encode())
        rng = random.Random(9)
        started = time.monotonic()
        for _ in range(1500):
            mode = rng.choice([2, 3])  # the mutating modes
            target.TestOneInput(bytes([mode]) + rng.randbytes(rng.randint(0, 400)))
        assert time.monotonic() - started < 30
    finally:
        target.LINE.to_event = original_line  # type: ignore[method-assign]
        target.TELEGRAM.to_event = original_telegram  # type: ignore[method-assign]
    assert {"line:text", "line:postback", "line:follow", "telegram:text", "telegram:postback"} <= seen, seen
