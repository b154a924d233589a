"""Prometheus metrics of the platform; each service serves them at /metrics (shared/web.py: who may read them)."""

from prometheus_client import Counter, Gauge, Histogram

EVENTS_APPENDED = Counter("events_appended_total", "Events appended to this service's event store", ["type"])
OUTBOX_BACKLOG = Gauge("outbox_backlog", "Outbox rows waiting to be published")
OUTBOX_OLDEST_AGE = Gauge("outbox_oldest_age_seconds", "Age of the oldest outbox row waiting to be published")
EVENTS_PUBLISHED = Counter("events_published_total", "Events the relay published", ["topic"])
EVENTS_CONSUMED = Counter("events_consumed_total", "Events a consumer applied (first delivery)", ["consumer", "type"])
CONSUMER_LAG = Gauge("consumer_lag", "Records behind the log end", ["consumer", "topic", "partition"])
DLQ_MESSAGES = Counter("dlq_messages_total", "Messages sent to a dead-letter topic", ["consumer", "topic"])
CONSUMER_RETRIES = Counter("consumer_retries_total", "Failed tries of an event a consumer is held at", ["consumer"])
CONSUMER_STALLED = Gauge(
    "consumer_stalled",
    "1 while a consumer is held at an event its handler keeps failing on",
    ["consumer", "topic", "partition"],
)
DEADLINE_POLLER_DELAY = Histogram(
    "deadline_poller_delay_seconds",
    "How long after a deadline passed its DeadlineMissed was appended",
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300),
)
