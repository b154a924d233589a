"""A stack of the five services of one's own: free ports, its own topic prefix and databases.

For playing the demo beside a shared `make up` stack without touching its data (the README's
screenshot is taken on one). On leaving, the services stop and their topics and databases are dropped.
"""

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
from aiokafka.admin import AIOKafkaAdminClient

from demo.client import Urls
from shared.settings import ServiceSettings, dsn_for

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("intake", "cases", "enforcement", "accountability", "projections")
DEMO_CLOSURE_POLICY = ROOT / "demo" / "closure_policy.toml"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def private_stack(prefix: str, log_dir: Path) -> AsyncIterator[Urls]:
    log_dir.mkdir(parents=True, exist_ok=True)
    ports = {name: free_port() for name in SERVICES}
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for name in SERVICES:
            # The services run as in production, whatever ENVIRONMENT the demo has (for its unit users).
            env = {
                **{key: value for key, value in os.environ.items() if key != "ENVIRONMENT"},
                "PORT": str(ports[name]),
                "TOPIC_PREFIX": f"{prefix}.",
                "DATABASE_NAME": f"{prefix}_{name}",
                "LOG_JSON": "false",
                # the demo's 公示期 (seconds, as its months are), unless the environment names a policy
                "CLOSURE_POLICY": os.environ.get("CLOSURE_POLICY", str(DEMO_CLOSURE_POLICY)),
            }
            with open(log_dir / f"{name}.log", "ab") as log:
                processes.append(
                    subprocess.Popen(
                        [sys.executable, "-m", f"services.{name}"], cwd=ROOT, env=env, stdout=log, stderr=log
                    )
                )
        urls = Urls(**{name: f"http://127.0.0.1:{ports[name]}" for name in SERVICES})
        await _wait_ready(urls, processes)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        await _drop(prefix)


async def _wait_ready(urls: Urls, processes: list[subprocess.Popen[bytes]], timeout: float = 90) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    async with httpx.AsyncClient(timeout=3) as client:
        for (name, url), process in zip(urls.all().items(), processes, strict=True):
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"service {name} exited with {process.returncode}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{url}/readyz")).status_code == 200:
                        break
                if asyncio.get_running_loop().time() > deadline:
                    raise RuntimeError(f"service {name} not ready in {timeout:.0f}s")
                await asyncio.sleep(0.3)


async def _drop(prefix: str) -> None:
    """The stack's databases and topics: nothing of it stays behind."""
    settings = ServiceSettings()
    conn = await asyncpg.connect(dsn_for(settings.database_url, "postgres"))
    try:
        for row in await conn.fetch("select datname from pg_database where datname like $1", f"{prefix}\\_%"):
            await conn.execute(f'drop database if exists "{row["datname"]}" with (force)')
    finally:
        await conn.close()
    admin = AIOKafkaAdminClient(**settings.broker.client_options())
    await admin.start()
    try:
        names = [name for name in await admin.list_topics() if name.startswith(f"{prefix}.")]
        if names:
            await admin.delete_topics(names)
    finally:
        await admin.close()
