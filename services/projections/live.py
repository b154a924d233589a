"""The service's consumer follows the active generation: after a rebuild switches, it continues the new one.

The rebuild left the new generation's consumer group at the offsets it had applied, so the
service's consumer for it goes on from there; the old generation's consumer stops.

An active generation built by older code (`generations.VERSION`) is rebuilt by the service itself after an upgrade,
so no one has to remember `make rebuild-projections`; reads answer 503 until the new generation is switched in
(`readside.read`). Of several instances one rebuilds (the rebuild's lock); the others find it held and look again
later. An instance older than the active generation (a rolling upgrade under way) leaves it alone.
"""

import asyncio
import contextlib
import time

import asyncpg
import structlog

from services.projections import consumers, generations, rebuild
from services.projections.deps import Deps
from shared.consumer import ConsumerRunner

log = structlog.get_logger()

POLL_SECONDS = 1.0
# After a rebuild that failed or found another one running, the next attempt waits this long.
REBUILD_RETRY_SECONDS = 60.0


async def follow_active_generation(deps: Deps, stopping: asyncio.Event) -> None:
    serving: int | None = None
    current: tuple[ConsumerRunner, asyncio.Task[None]] | None = None
    rebuilding: asyncio.Task[None] | None = None
    next_rebuild = 0.0
    try:
        while not stopping.is_set():
            try:
                generation = await generations.ensure_active(deps.pool, deps.settings)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("active_generation_unknown", error=repr(exc))
            else:
                crashed = current is not None and current[1].done()
                if crashed:
                    log.error("read_models_consumer_died", generation=serving, error=repr(_failure(current)))
                if generation.number != serving or crashed:
                    await _stop(current)
                    runner = consumers.runner(
                        deps.settings,
                        deps.pool,
                        generation,
                        gather_ms=deps.settings.live_gather_ms,
                        fetch_min_bytes=deps.settings.live_fetch_min_bytes,
                        fetch_wait_ms=deps.settings.live_fetch_wait_ms,
                    )
                    current = (runner, asyncio.create_task(runner.run(), name=f"consumer-{runner.name}"))
                    serving = generation.number
                    log.info("read_models_following", generation=generation.number, consumer=runner.name)
                    if not generation.current:
                        log.warning("read_models_outdated", generation=generation.number, older=generation.older)
                idle = rebuilding is None or rebuilding.done()
                if generation.older and idle and time.monotonic() >= next_rebuild:
                    rebuilding = asyncio.create_task(_rebuild_outdated(deps), name="rebuild-outdated")
                    next_rebuild = time.monotonic() + REBUILD_RETRY_SECONDS
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stopping.wait(), POLL_SECONDS)
    finally:
        if rebuilding is not None:
            # A rebuild cut short drops its half-built generation; the old one stays active.
            rebuilding.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await rebuilding
        await _stop(current)
        await deps.log_ends.close()


async def _rebuild_outdated(deps: Deps) -> None:
    try:
        replay = await rebuild.replace_generation(deps.pool, deps.settings)
    except rebuild.RebuildRefused as exc:
        log.warning("read_models_rebuild_not_done", reason=str(exc), retry_seconds=REBUILD_RETRY_SECONDS)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        log.error("read_models_rebuild_failed", error=repr(exc), retry_seconds=REBUILD_RETRY_SECONDS)
    else:
        log.info("read_models_rebuilt", generation=replay.generation, events=replay.events, seconds=replay.seconds)


def _failure(current: tuple[ConsumerRunner, asyncio.Task[None]] | None) -> BaseException | None:
    if current is None or current[1].cancelled():
        return None
    return current[1].exception()


async def _stop(current: tuple[ConsumerRunner, asyncio.Task[None]] | None) -> None:
    """Stops a consumer: it finishes the batch in hand, commits and leaves the group."""
    if current is None:
        return
    runner, task = current
    runner.stop()
    try:
        await asyncio.wait_for(task, 15)
    except TimeoutError:
        log.error("consumer_stop_timeout", consumer=runner.name)
    except Exception as exc:  # already logged when it died; stopping must go on
        log.warning("consumer_stopped_with_error", consumer=runner.name, error=repr(exc))
