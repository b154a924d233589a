"""Prometheus metrics of the platform; each service serves them at /metrics (shared/web.py: who may read them)."""

import time
from typing import Any

from prometheus_client import Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

EVENTS_APPENDED = Counter("events_appended_total", "Events appended to this service's event store", ["type"])
OUTBOX_BACKLOG = Gauge("outbox_backlog", "Outbox rows waiting to be published")
OUTBOX_OLDEST_AGE = Gauge("outbox_oldest_age_seconds", "Age of the oldest outbox row waiting to be published")
EVENTS_PUBLISHED = Counter("events_published_total", "Events the relay published", ["topic"])
EVENTS_CONSUMED = Counter("events_consumed_total", "Events a consumer applied (first delivery)", ["consumer", "type"])
CONSUMER_LAG = Gauge("consumer_lag", "Records behind the log end", ["consumer", "topic", "partition"])
DLQ_MESSAGES = Counter("dlq_messages_total", "Messages sent to a dead-letter topic", ["consumer", "topic"])
CHAIN_BREAKS = Counter(
    "chain_breaks_total", "Records that broke their stream's hash chain (sent to the DLQ)", ["consumer", "topic"]
)
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

HTTP_REQUESTS = Counter(
    "http_requests_total",
    "HTTP requests answered, by route template, method and status class",
    ["handler", "method", "status"],
)
HTTP_REQUEST_DURATION = Histogram(
    "http_request_duration_seconds",
    "Time from a request's arrival to its last byte sent, by route template and method",
    ["handler", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
# Routes that are probes or the metrics themselves: not counted.
UNTRACKED = frozenset({"/metrics", "/healthz", "/readyz"})
# Label sets whose children RequestMetrics keeps at hand; beyond them it asks prometheus_client each time.
MAX_LABEL_SETS = 1024


class RequestMetrics:
    """Plain ASGI, outermost: one count and one duration per request, labelled by the template of the route that
    answered it (`/v1/cases/{case_id}`, never the raw path, so ids never become labels; `none` when no route did)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._labelled: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            # The router sets the matched route on the scope it was given, which is this one.
            handler = getattr(scope.get("route"), "path", None) or "none"
            if handler not in UNTRACKED:
                count, duration = self._children(handler, scope["method"], status // 100)
                count.inc()
                duration.observe(time.perf_counter() - started)

    def _children(self, handler: str, method: str, status_class: int) -> tuple[Any, Any]:
        """The labelled count and duration, looked up once per label set (prometheus_client's `labels` checks and
        locks on every call: issue 14, intake's request path)."""
        key = (handler, method, status_class)
        children = self._labelled.get(key)
        if children is None:
            children = (
                HTTP_REQUESTS.labels(handler, method, f"{status_class}xx"),
                HTTP_REQUEST_DURATION.labels(handler, method),
            )
            if len(self._labelled) < MAX_LABEL_SETS:  # methods are the client's: never an unbounded dict
                self._labelled[key] = children
        return children
