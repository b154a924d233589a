"""Rebuild the read models (重建读模型): `python -m services.projections.rebuild` or `make rebuild-projections`.

Replays every topic from offset 0 into a new generation (its own schema, its own consumer group)
while the service keeps answering from the active one: loader processes (`--loaders`, one per core by default)
record the facts, then this one derives the read tables from them; once the new generation has applied
everything up to the log ends, it becomes the active one in one transaction. The service's
consumer then follows it from where the rebuild left its group, and the old generation is dropped.
"""

import argparse
import asyncio
import contextlib
import gc
import json
import math
import os
import signal
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import asyncpg
import structlog

from services.projections import consumers, generations
from services.projections.generations import Generation
from services.projections.offsets import LogEnds
from services.projections.read_tables import facts
from services.projections.read_tables.facts import topics
from services.projections.settings import ProjectionsSettings
from shared.db import create_pool
from shared.logging import configure_logging
from shared.service import freeze_startup_heap, start_platform

log = structlog.get_logger()

REBUILD_LOCK = 7_305_002

ROOT = Path(__file__).resolve().parents[2]


def available_cores(cpu_max: Path = Path("/sys/fs/cgroup/cpu.max")) -> int:
    """The cores this process may use: its CPU affinity, capped by its cgroup's quota (a container's CPU limit, which
    the affinity does not show: a pod limited to one core on a 16-core node sees 16)."""
    cores = len(os.sched_getaffinity(0))
    try:
        quota, period = cpu_max.read_text().split()
        return cores if quota == "max" else max(1, min(cores, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        return cores


class RebuildRefused(RuntimeError):
    """Another rebuild holds the lock, or the replay could not finish: the old read models stay active."""


@dataclass(frozen=True)
class Replay:
    generation: int
    events: int
    seconds: float
    events_per_second: float
    first_event_after_seconds: float
    replay_events_per_second: float
    derive_seconds: float  # of `seconds`: every read table derived from the facts at the end (consumers.derive_all)
    dropped_generations: list[int]


async def _applied(pool: asyncpg.Pool, generation: Generation) -> dict[tuple[str, int], int]:
    rows = await pool.fetch(
        'select topic, partition, "offset" from consumer_positions where consumer = $1', generation.consumer
    )
    return {(r["topic"], r["partition"]): r["offset"] for r in rows}


async def _replay(
    settings: ProjectionsSettings,
    pool: asyncpg.Pool,
    generation: Generation,
    *,
    give_up_after: float,
    max_records: int,
    members: int,
    loaders: int | None,
) -> tuple[int, float, float, float]:
    """Runs the generation's loaders until they have recorded every partition's facts up to its log end, then derives
    the read tables from them (consumers.derive_all).

    The records' checks and copies are Python's work, one core's per process: `loaders` processes (None: one per
    core, `available_cores`) record the facts while this one watches. Each runs `members` consumers of the
    generation's group: while one waits for its batch's statements, another checks and copies its own (facts are
    keyed by event, so which member records a partition changes nothing)."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("select set_config('search_path', $1, true)", generation.search_path)
        indexes = await facts.drop_indexes(conn)
    log_ends = LogEnds(settings.broker, topics(settings))
    started = time.monotonic()
    first_event_at: float | None = None
    processes: list[asyncio.subprocess.Process] = []
    try:
        for _ in range(loaders or available_cores()):
            processes.append(await _start_loader(settings, generation, max_records=max_records, members=members))
        while True:
            for process in processes:
                if process.returncode is not None:
                    raise RebuildRefused(f"a loader of the rebuild exited with {process.returncode}")
            if time.monotonic() - started > give_up_after:
                raise RebuildRefused(f"not caught up after {give_up_after:.0f}s; the old read models stay active")
            applied = await _applied(pool, generation)
            if first_event_at is None and any(applied.values()):
                first_event_at = time.monotonic()
            ends = await log_ends.ends()
            if ends is not None and all(applied.get(tp, 0) >= end for tp, end in ends.items()):
                break
            await asyncio.sleep(0.1)
    finally:
        await asyncio.gather(*(_stop_loader(process) for process in processes))
        await log_ends.close()
    # the read tables from all the facts at once, as the live consumer would have derived them batch by batch
    loaded = time.monotonic()
    events = await consumers.derive_all(pool, generation, indexes=indexes)
    finished = time.monotonic()
    return events, finished - started, (first_event_at or finished) - started, finished - loaded


async def _start_loader(
    settings: ProjectionsSettings, generation: Generation, *, max_records: int, members: int
) -> asyncio.subprocess.Process:
    """A loader process (`--load`), given this process's settings on its standard input (they hold secrets: never
    on its command line)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.projections.rebuild",
        "--load",
        str(generation.number),
        "--max-records",
        str(max_records),
        "--members",
        str(members),
        stdin=asyncio.subprocess.PIPE,
        cwd=ROOT,
    )
    assert process.stdin is not None
    process.stdin.write(settings.model_dump_json().encode())
    await process.stdin.drain()
    process.stdin.close()
    return process


async def _stop_loader(process: asyncio.subprocess.Process, wait: float = 30.0) -> None:
    """SIGTERM: its consumers finish their batch and stop; killed if it has not within `wait` seconds."""
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), wait)
    except TimeoutError:
        process.kill()
        await process.wait()


LOADER_PARTITION_FETCH_BYTES = 1024 * 1024
LOADER_FETCH_MAX_BYTES = 50 * 1024 * 1024
LOADER_GC_YOUNG = 100_000


async def load(settings: ProjectionsSettings, number: int, *, max_records: int, members: int) -> None:
    """A loader: `members` consumers of generation `number`'s group record facts until SIGTERM (derive_now=False:
    the rebuild derives the read tables once every fact is in)."""
    # A loader is a process of its own that reads the history as fast as the broker gives it, not a service kept
    # small: aiokafka's own fetch sizes.
    settings = settings.model_copy(
        update={
            "consumer_partition_fetch_bytes": LOADER_PARTITION_FETCH_BYTES,
            "consumer_fetch_max_bytes": LOADER_FETCH_MAX_BYTES,
        }
    )
    pool = await create_pool(settings)
    try:
        async with pool.acquire() as conn:
            generation = await generations.get(conn, number)
        if generation is None or generation.status != "building":
            raise RebuildRefused(f"generation {number} is not being built")
        runners = [
            consumers.runner(settings, pool, generation, max_records=max_records, derive_now=False)
            for _ in range(members)
        ]

        def stop() -> None:
            for r in runners:
                r.stop()

        # What a loader keeps is its startup heap (modules, the contracts' schemas) and a few batches; every batch
        # makes and drops hundreds of thousands of objects. Frozen, the full collections no longer walk the schemas,
        # and the young generation is collected every LOADER_GC_YOUNG allocations instead of 700.
        freeze_startup_heap()
        gc.set_threshold(LOADER_GC_YOUNG, *gc.get_threshold()[1:])

        for stop_signal in (signal.SIGTERM, signal.SIGINT):
            asyncio.get_running_loop().add_signal_handler(stop_signal, stop)
        await asyncio.gather(*(r.run() for r in runners))
    finally:
        await pool.close()


async def rebuild(
    settings: ProjectionsSettings,
    *,
    give_up_after: float = 3600.0,
    grace_seconds: float = 3.0,
    max_records: int = 1000,
    members: int = 2,
    loaders: int | None = None,
) -> Replay:
    """Builds a new generation from offset 0, switches to it once caught up, then drops the old one.

    Not caught up within `give_up_after` seconds, it gives up and the old generation stays active.
    """
    # Imported here: the composition root imports `live`, which runs `replace_generation` below.
    from services.projections.main import MIGRATIONS

    async with start_platform(settings, migrations=MIGRATIONS) as platform:
        return await replace_generation(
            platform.pool,
            settings,
            give_up_after=give_up_after,
            grace_seconds=grace_seconds,
            max_records=max_records,
            members=members,
            loaders=loaders,
        )


async def replace_generation(
    pool: asyncpg.Pool,
    settings: ProjectionsSettings,
    *,
    give_up_after: float = 3600.0,
    grace_seconds: float = 3.0,
    max_records: int = 1000,
    members: int = 2,
    loaders: int | None = None,
) -> Replay:
    """The rebuild on a pool already migrated: the command's, or the service's own when its tables are outdated."""
    async with pool.acquire() as lock:
        if not await lock.fetchval("select pg_try_advisory_lock($1)", REBUILD_LOCK):
            raise RebuildRefused("另一个读模型重建正在进行，请等待其完成")
        try:
            # Holding the lock, any generation still 'building' was left by a rebuild that died.
            await generations.drop(pool, statuses=("building",))
            await generations.ensure_active(pool, settings)
            async with pool.acquire() as conn, conn.transaction():
                generation = await generations.create(conn, settings, status="building")
            log.info("rebuild_started", generation=generation.number, group_id=generation.group_id)
            try:
                events, seconds, first_after, derive_seconds = await _replay(
                    settings,
                    pool,
                    generation,
                    give_up_after=give_up_after,
                    max_records=max_records,
                    members=members,
                    loaders=loaders,
                )
                await generations.analyze(pool, generation)
                await generations.activate(pool, generation, replayed_events=events, seconds=seconds)
            except BaseException:
                await generations.drop(pool, statuses=("building",))
                raise
            # Readers that took the old generation just before the switch finish first.
            await asyncio.sleep(grace_seconds)
            dropped = await generations.drop(pool, statuses=("retired",))
        finally:
            await lock.execute("select pg_advisory_unlock($1)", REBUILD_LOCK)
    return Replay(
        generation=generation.number,
        events=events,
        seconds=round(seconds, 3),
        events_per_second=round(events / seconds, 1) if seconds else 0.0,
        first_event_after_seconds=round(first_after, 3),
        replay_events_per_second=round(events / (seconds - first_after), 1) if seconds > first_after else 0.0,
        derive_seconds=round(derive_seconds, 3),
        dropped_generations=dropped,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="重建读模型：从各主题的起点重放全部事件，追平后原子切换")
    parser.add_argument("--timeout", type=float, default=3600.0, help="give up (and keep the old models) after this")
    parser.add_argument("--grace-seconds", type=float, default=3.0, help="wait this long before dropping the old")
    parser.add_argument("--max-records", type=int, default=1000, help="events per batch and transaction")
    parser.add_argument("--members", type=int, default=2, help="consumers of the group in each loader process")
    parser.add_argument("--loaders", type=int, default=None, help="loader processes (default: one per core)")
    parser.add_argument("--load", type=int, metavar="GENERATION", help=argparse.SUPPRESS)  # a loader, settings on stdin
    args = parser.parse_args()
    if args.load is not None:
        settings = ProjectionsSettings.model_validate_json(sys.stdin.buffer.read())
        configure_logging(settings.log_level, settings.log_json)
        asyncio.run(load(settings, args.load, max_records=args.max_records, members=args.members))
        return
    settings = ProjectionsSettings()
    configure_logging(settings.log_level, settings.log_json)
    replay = asyncio.run(
        rebuild(
            settings,
            give_up_after=args.timeout,
            grace_seconds=args.grace_seconds,
            max_records=args.max_records,
            members=args.members,
            loaders=args.loaders,
        )
    )
    print(json.dumps(asdict(replay), ensure_ascii=False))
    print(
        f"读模型已重建并切换到第{replay.generation}代：重放{replay.events}个事件，用时{replay.seconds}秒，"
        f"每秒{replay.events_per_second}个事件；不计加入消费组的{replay.first_event_after_seconds}秒，"
        f"每秒{replay.replay_events_per_second}个事件。"
    )


if __name__ == "__main__":
    main()
