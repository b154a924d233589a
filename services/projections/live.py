"""The service's consumer follows the active generation: after a rebuild switches, it continues the new one.

The rebuild left the new generation's consumer group at the offsets it had applied, so the
service's consumer for it goes on from there; the old generation's consumer stops.
"""

import asyncio
import contextlib

import asyncpg
import structlog

from services.projections import consumers, generations
from services.projections.deps import Deps
from shared.consumer import ConsumerRunner

log = structlog.get_logger()

POLL_SECONDS = 1.0


async def follow_active_generation(deps: Deps, stopping: asyncio.Event) -> None:
    serving: int | None = None
    current: tuple[ConsumerRunner, asyncio.Task[None]] | None = None
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
                    runner = consumers.runner(deps.settings, deps.pool, generation)
                    current = (runner, asyncio.create_task(runner.run(), name=f"consumer-{runner.name}"))
                    serving = generation.number
                    log.info("read_models_following", generation=generation.number, consumer=runner.name)
                    if generation.shape != generations.shape():
                        # Tables of another shape than this code's: queries may fail until a rebuild.
                        log.warning(
                            "read_models_outdated", generation=generation.number, hint="make rebuild-projections"
                        )
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stopping.wait(), POLL_SECONDS)
    finally:
        await _stop(current)
        await deps.log_ends.close()


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
