"""The composition root every service shares: pool, migrations, topics, relay and consumers.

A service's `main.py` names its migrations, routers and background work, and a `compose`
function that builds the service's one dependencies object (`deps.py`) from the platform.
This module starts everything in the app's lifespan, hands that object to the consumers and
jobs, and to the routes through the lifespan state (`deps.dependency`), and stops it all in
reverse order.
"""

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Generic, TypedDict, TypeVar

import asyncpg
import structlog
import uvicorn
from fastapi import APIRouter, Depends, FastAPI, Request
from starlette.middleware import Middleware

from shared.audit import api as audit_api
from shared.audit.leaves import run_appender
from shared.audit.log import AuditLog, require_signing_key, run_checkpoints
from shared.auth import signing_keys
from shared.body_limit import BodyLimit
from shared.consumer import RUNNING_CONSUMERS, ConsumerRunner
from shared.db import create_pool, migrate
from shared.eventstore import EventStore
from shared.jwks import SigningKeys
from shared.logging import configure_logging
from shared.metrics import RequestMetrics
from shared.relay import OutboxRelay
from shared.settings import ServiceSettings
from shared.topics import ensure_topics
from shared.web import Readiness, consumer_check, install, metrics_router
from shared.young_tables import run_analyser

log = structlog.get_logger()

STARTUP_TIMEOUT = 60.0

S = TypeVar("S", bound=ServiceSettings)
D = TypeVar("D")


@dataclass
class Platform(Generic[S]):
    """What every service runs on: its settings, its database pool, its event store and its relay."""

    settings: S
    pool: asyncpg.Pool
    store: EventStore
    relay: OutboxRelay
    # The audit log of the event store (shared/audit/): its leaves, checkpoints and proofs.
    audit: AuditLog
    # The relay, the consumers and the jobs: each runs until the service stops, so one that ended has failed.
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    # The consumers running now, also those a job starts (shared.consumer.RUNNING_CONSUMERS): /readyz reads them.
    consumers: set[ConsumerRunner] = field(default_factory=set)


class LifespanState(TypedDict):
    """What the lifespan hands to every request (`request.state`): the settings and the service's dependencies,
    and the platform they run on (for what every service shares, such as its background tasks)."""

    settings: ServiceSettings
    deps: Any
    platform: Platform[Any]
    # The identity provider's signing keys, fetched when the first token comes (shared/jwks.py).
    keys: SigningKeys


# How a service's background work is declared: given its dependencies, consumers to run, and jobs.
Consumers = Callable[[D], Sequence[ConsumerRunner]]
Job = Callable[[D, asyncio.Event], Coroutine[Any, Any, None]]


async def _retry_until_up(what: str, attempt: Callable[[], Awaitable[Any]]) -> Any:
    """At start the broker or the database may still be coming up: wait for them, within reason."""
    deadline = asyncio.get_running_loop().time() + STARTUP_TIMEOUT
    delay = 0.2
    while True:
        try:
            return await attempt()
        except Exception as exc:
            if asyncio.get_running_loop().time() > deadline:
                raise
            log.warning("waiting_for_dependency", dependency=what, error=repr(exc))
            await asyncio.sleep(delay)
            delay = min(delay * 2, 3.0)


@contextlib.asynccontextmanager
async def start_platform(settings: S, *, migrations: Path | None = None) -> AsyncIterator[Platform[S]]:
    """The pool (migrated) and the topics; the relay is made here and started by `run_service`."""
    pool: asyncpg.Pool = await _retry_until_up("postgresql", lambda: create_pool(settings))
    try:
        await migrate(pool, *([migrations] if migrations else []))
        await _retry_until_up("kafka", lambda: ensure_topics(settings))
        yield Platform(
            settings=settings,
            pool=pool,
            store=EventStore(topic=settings.own_topic, slots=settings.outbox_slots),
            relay=OutboxRelay(settings, name=f"{settings.service_name}-relay"),
            audit=AuditLog.from_settings(settings),
        )
    finally:
        await pool.close()


@contextlib.asynccontextmanager
async def run_service(
    settings: S,
    compose: Callable[[Platform[S]], D],
    *,
    migrations: Path | None = None,
    consumers: Consumers[D] | None = None,
    jobs: Sequence[Job[D]] = (),
    run_relay: bool = True,
    audit: bool = True,
) -> AsyncIterator[tuple[Platform[S], D]]:
    """Starts the platform, composes the service's dependencies and runs its relay, consumers and jobs, and with
    `audit` (a service with an event store) the audit log's appender and checkpoints (shared/audit/)."""
    async with start_platform(settings, migrations=migrations) as platform:
        deps = compose(platform)
        runners = list(consumers(deps)) if consumers else []
        stopping = asyncio.Event()
        # Tasks copy the context as they are made: every runner started in them joins `platform.consumers`.
        registry = RUNNING_CONSUMERS.set(platform.consumers)
        try:
            tasks = [asyncio.create_task(c.run(), name=consumer_check(c.name)) for c in runners]
            tasks += [
                asyncio.create_task(job(deps, stopping), name=f"job:{getattr(job, '__name__', 'job')}") for job in jobs
            ]
            if run_relay:
                tasks.append(asyncio.create_task(platform.relay.run(), name="relay"))
            tasks.append(
                asyncio.create_task(
                    run_analyser(platform.pool, stopping, settings.young_tables_seconds), name="job:young_tables"
                )
            )
            if audit:
                tasks += [
                    asyncio.create_task(
                        run_appender(platform.pool, stopping, settings.audit_append_seconds), name="job:audit_appender"
                    ),
                    asyncio.create_task(
                        run_checkpoints(platform.audit, platform.pool, stopping, settings.audit_checkpoint_seconds),
                        name="job:audit_checkpoints",
                    ),
                ]
        finally:
            RUNNING_CONSUMERS.reset(registry)
        platform.tasks = tasks
        log.info("service_started", service=settings.service_name, consumers=[c.name for c in runners])
        try:
            yield platform, deps
        finally:
            stopping.set()
            for consumer in runners:
                consumer.stop()
            platform.relay.stop()
            _, pending = await asyncio.wait(tasks, timeout=15) if tasks else (set(), set())
            for task in pending:
                task.cancel()
            for task in tasks:
                if task.done() and not task.cancelled() and task.exception():
                    log.error("task_failed", task=task.get_name(), error=repr(task.exception()))
            log.info("service_stopped", service=settings.service_name)


def dependency(kind: type[D]) -> Any:
    """The FastAPI dependency that gives a route its service's dependencies object, typed as `kind`.

    Use it once per service, in its `deps.py`: `DepsDep = Annotated[Deps, dependency(Deps)]`.
    """

    async def get(request: Request) -> D:
        deps: D = request.state.deps
        return deps

    return Depends(get)


async def settings_of(request: Request) -> ServiceSettings:
    """The running service's settings, for what every service shares (token verification)."""
    settings: ServiceSettings = request.state.settings
    return settings


SettingsDep = Annotated[ServiceSettings, Depends(settings_of)]


def build_app(
    settings: S,
    *,
    title: str,
    compose: Callable[[Platform[S]], D],
    routers: Sequence[APIRouter] = (),
    migrations: Path | None = None,
    consumers: Consumers[D] | None = None,
    jobs: Sequence[Job[D]] = (),
    body_limit: int | None = None,
    body_limits: Mapping[str, int] | None = None,
    inner: Sequence[Middleware] = (),
    audit: bool = True,
) -> FastAPI:
    """A service's FastAPI app: its routers, plus health, correlation ids, the error mapping and the body limit.

    Every request body is limited to `body_limit` bytes (default: MAX_BODY_BYTES), or to what `body_limits`
    names for its path, before anything reads it: a larger one is refused with 413 (shared/body_limit.py).
    `inner` is the service's own middleware, just inside the request metrics (outside the correlation id, the URL
    check and the body limit): intake's report fast path (services/intake/api/fast_path.py).
    With `audit` (every service with an event store) the audit log runs and its routes are served (shared/audit/).
    """
    if audit:
        require_signing_key(settings)
    readiness = Readiness(settings.broker)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[LifespanState]:
        running = run_service(settings, compose, migrations=migrations, consumers=consumers, jobs=jobs, audit=audit)
        async with running as (platform, deps):
            readiness.pool = platform.pool
            readiness.tasks = platform.tasks
            readiness.consumers = platform.consumers
            keys = signing_keys(settings)
            if getattr(app.state, FREEZE_STARTUP_HEAP, False):
                freeze_startup_heap()
            try:
                yield {"settings": settings, "deps": deps, "platform": platform, "keys": keys}
            finally:
                readiness.pool = None
                readiness.tasks = []
                readiness.consumers = ()
                await readiness.close()
                await keys.aclose()

    # FastAPI's native OpenTelemetry off: nothing here configures a provider, and with it on every request asks the
    # three global providers whether one is configured (issue 14: 1.7 % of intake's loop under wrk).
    app = FastAPI(title=title, lifespan=lifespan, telemetry={"tracing": False, "metrics": False, "logs": False})
    # The service's own routes first, its busiest first (intake: the report route): FastAPI tries the included
    # routers in order on every request, so the health and metrics routes (no path in common) come after them
    # (issue 14: 434 -> 400 Python calls per report in intake's request path).
    for router in routers:
        app.include_router(router)
    if audit:
        app.include_router(audit_api.router)
    # Added before install's middleware, so it runs inside it: a 413 still carries the correlation id.
    app.add_middleware(BodyLimit, default=body_limit or settings.max_body_bytes, paths=body_limits)
    install(app, readiness)
    for middleware in reversed(inner):
        app.add_middleware(middleware.cls, *middleware.args, **middleware.kwargs)
    # Outermost: each request's count and duration (shared/metrics.py); /metrics serves them.
    app.add_middleware(RequestMetrics)
    app.include_router(metrics_router(settings))
    return app


# The app's state flag `serve` sets: a process of its own, whose startup heap the lifespan freezes once started.
FREEZE_STARTUP_HEAP = "freeze_startup_heap"


def freeze_startup_heap() -> None:
    """Leaves what startup made (modules, models, routes, clients) out of every later garbage collection.

    A full collection walks every tracked object, and after startup that is mostly the libraries' own: under the open
    loop intake paused its event loop 90 ms for each, four times a minute, and every request in flight waited (the
    202's p99; bench/README.md, fourteenth session). Frozen objects are never collected, so only a process that runs
    one service freezes (`serve`; a rebuild's loaders too), not a test that starts apps one after another in its own
    process.
    """
    gc.collect()
    gc.freeze()


def serve(app: FastAPI, settings: ServiceSettings) -> None:
    """Run one service process until SIGTERM; uvicorn drains requests, then the lifespan stops the rest."""
    configure_logging(settings.log_level, settings.log_json)
    setattr(app.state, FREEZE_STARTUP_HEAP, True)
    # proxy_headers=False: uvicorn would otherwise believe X-Forwarded-For from 127.0.0.1 and rewrite the client's
    # address before the app sees it; which proxies are trusted is the app's setting (intake's TRUSTED_PROXIES).
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        proxy_headers=False,
        limit_concurrency=settings.max_concurrency,
        timeout_keep_alive=settings.keep_alive_seconds,
    )
