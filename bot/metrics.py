"""Prometheus metrics, served on /metrics. One registry per process."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

REGISTRY = CollectorRegistry(auto_describe=True)

HEALTH_CHECKS = Counter("phuankru_health_checks", "Health checks answered, by result", ["result"], registry=REGISTRY)
EVENTS_RECEIVED = Counter(
    "phuankru_events_received",
    "Inbound events accepted, by channel and kind (a redelivery, acknowledged and ignored, counts too)",
    ["channel", "kind"],
    registry=REGISTRY,
)
WEBHOOKS_REJECTED = Counter(
    "phuankru_webhooks_rejected",
    "Webhook requests refused, by channel and reason",
    ["channel", "reason"],
    registry=REGISTRY,
)
WEBHOOK_CRASHES = Counter(
    "phuankru_webhook_crashes",
    "Webhook requests that met an unexpected error (answered 400 so that the platform does not retry): a bug",
    ["channel"],
    registry=REGISTRY,
)
for _channel in ("line", "telegram"):
    WEBHOOK_CRASHES.labels(_channel)  # present at 0 from the start, so that a rise is seen (and tests read 0)
INGEST_BATCH_SPLITS = Counter(
    "phuankru_ingest_batch_splits",
    "Group commits of webhook events that failed because of what an event held, and were split and retried",
    registry=REGISTRY,
)
EVENT_RETRIES = Counter(
    "phuankru_event_retries",
    "Stored events whose handling failed (the database away) and was scheduled again, with backoff",
    registry=REGISTRY,
)
OUTBOX_RESULTS = Counter(
    "phuankru_outbox_results",
    "Outbox deliveries, by channel and outcome",
    ["channel", "outcome"],
    registry=REGISTRY,
)
OUTBOX_DEPTH = Gauge("phuankru_outbox_depth", "Outbox messages waiting to be sent", registry=REGISTRY)
HANDLER_SECONDS = Histogram(
    "phuankru_handler_seconds", "Time spent handling one inbound event", ["channel"], registry=REGISTRY
)

__all__ = ["CONTENT_TYPE_LATEST", "REGISTRY", "render"]


def render() -> bytes:
    return generate_latest(REGISTRY)
