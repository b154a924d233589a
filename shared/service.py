"""The composition root every service shares: pool, migrations, topics, relay and consumers.

A service names its migrations, its consumers and its background jobs; this module
starts them in the app's lifespan and stops them in reverse order.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import asyncpg
import structlog
import uvicorn
from fastapi import Depends, FastAPI, Request
from prometheus_fastapi_instrumentator import Instrumentator

from shared.consumer import ConsumerRunner
from shared.db import create_pool, migrate
from shared.eventstore import EventStore
from shared.logging import configure_logging
from shared.relay import OutboxRelay
from shared.settings import ServiceSettings
from shared.topics import ensure_topics
from shared.web import Readiness, install

log = structlog.get_logger()

STARTUP_TIMEOUT = 60.0


@dataclass
class Platform:
    settings: ServiceSettings
    pool: asyncpg.Pool
    store: EventStore
    relay: OutboxRelay
    consumers: list[ConsumerRunner] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)
    # The relay, the consumers and the jobs: each runs until the service stops, so one that ended has failed.
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


ConsumerFactory = Callable[[Platform], Sequence[ConsumerRunner]]
BackgroundJob = Callable[[Platform, asyncio.Event], Awaitable[None]]


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
async def run_platform(
    settings: ServiceSettings,
    *,
    migrations: Path | None = None,
    consumers: ConsumerFactory | None = None,
    jobs: Sequence[BackgroundJob] = (),
    run_relay: bool = True,
) -> AsyncIterator[Platform]:
    pool: asyncpg.Pool = await _retry_until_up("postgresql", lambda: create_pool(settings))
    try:
        await migrate(pool, *([migrations] if migrations else []))
        await _retry_until_up("kafka", lambda: ensure_topics(settings))
        platform = Platform(
            settings=settings,
            pool=pool,
            store=EventStore(topic=settings.own_topic, slots=settings.outbox_slots),
            relay=OutboxRelay(settings, name=f"{settings.service_name}-relay"),
        )
        platform.consumers = list(consumers(platform)) if consumers else []
        stopping = asyncio.Event()
        tasks = [asyncio.create_task(c.run(), name=f"consumer-{c.name}") for c in platform.consumers]
        tasks += [asyncio.create_task(job(platform, stopping), name=getattr(job, "__name__", "job")) for job in jobs]
        if run_relay:
            tasks.append(asyncio.create_task(platform.relay.run(), name="relay"))
        platform.tasks = tasks
        log.info("service_started", service=settings.service_name, consumers=[c.name for c in platform.consumers])
        try:
            yield platform
        finally:
            stopping.set()
            for consumer in platform.consumers:
                consumer.stop()
            platform.relay.stop()
            _, pending = await asyncio.wait(tasks, timeout=15) if tasks else (set(), set())
            for task in pending:
                task.cancel()
            for task in tasks:
                if task.done() and not task.cancelled() and task.exception():
                    log.error("task_failed", task=task.get_name(), error=repr(task.exception()))
            log.info("service_stopped", service=settings.service_name)
    finally:
        await pool.close()


def get_platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


PlatformDep = Annotated[Platform, Depends(get_platform)]


def build_app(
    settings: ServiceSettings,
    *,
    title: str,
    routers: Sequence[Any] = (),
    migrations: Path | None = None,
    consumers: ConsumerFactory | None = None,
    jobs: Sequence[BackgroundJob] = (),
) -> FastAPI:
    """A service's FastAPI app: its routers, plus health, correlation ids and the error mapping."""
    readiness = Readiness(settings.kafka_bootstrap_servers)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with run_platform(settings, migrations=migrations, consumers=consumers, jobs=jobs) as platform:
            app.state.platform = platform
            readiness.pool = platform.pool
            readiness.tasks = platform.tasks
            try:
                yield
            finally:
                readiness.pool = None
                readiness.tasks = []
                await readiness.close()

    app = FastAPI(title=title, lifespan=lifespan)
    app.state.settings = settings
    install(app, readiness)
    Instrumentator(excluded_handlers=["/metrics", "/healthz", "/readyz"]).instrument(app).expose(
        app, endpoint="/metrics", include_in_schema=False
    )
    for router in routers:
        app.include_router(router)
    return app


def serve(app: FastAPI, settings: ServiceSettings) -> None:
    """Run one service process until SIGTERM; uvicorn drains requests, then the lifespan stops the rest."""
    configure_logging(settings.log_level, settings.log_json)
    uvicorn.run(app, host=settings.host, port=settings.port, log_config=None, access_log=False)
