"""Overload (过载): a process holds at most MAX_CONCURRENCY connections and answers 503 beyond them, at once."""

import asyncio
import contextlib

import asyncpg

from services.intake.settings import IntakeSettings
from shared.db import init_connection
from tests.support.service import ServiceProcess, free_port, staff_client

REPORT = {
    "source": "hotline_12369",
    "title": "过载时的举报",
    "description": "群众反映附近有环境问题",
    "township": "城关镇",
    "domain": "water",
}


async def test_a_connection_beyond_the_limit_is_answered_503_and_stores_nothing_and_service_resumes(
    settings: IntakeSettings,
) -> None:
    process = ServiceProcess("services.intake", settings.model_copy(update={"port": free_port(), "max_concurrency": 3}))
    process.start()
    held: list[asyncio.StreamWriter] = []
    try:
        await process.wait_ready()
        # Three idle connections reach the limit (uvicorn counts open connections, not only requests in progress).
        for _ in range(3):
            _, writer = await asyncio.open_connection("127.0.0.1", process.settings.port)
            held.append(writer)
        await asyncio.sleep(0.2)
        async with staff_client(base_url=process.url) as client:
            refused = await client.post("/v1/reports", json=REPORT, timeout=5)
        assert refused.status_code == 503
        conn = await asyncpg.connect(settings.database_dsn)
        await init_connection(conn)
        try:
            assert await conn.fetchval("select count(*) from reports") == 0
        finally:
            await conn.close()
        for writer in held:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
        held.clear()
        await asyncio.sleep(0.2)
        async with staff_client(base_url=process.url) as client:
            assert (await client.post("/v1/reports", json=REPORT, timeout=5)).status_code == 202
    finally:
        for writer in held:
            writer.close()
        process.stop()
