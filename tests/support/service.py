"""Running services for tests: in this process (real broker and database, HTTP through ASGI) or as processes."""

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from typing import Any

import httpx
from fastapi import FastAPI

from shared.settings import ServiceSettings
from tests.support.auth import RoleAuth
from tests.support.ports import free_port as free_port  # the tests take it with the processes it serves
from tests.support.stack import ROOT


@contextlib.asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, Any]]]:
    """Starts the app's lifespan (pool, migrations, relay, consumers) and yields an HTTP client for it, with the
    lifespan state its routes see (`settings`, `deps`, `platform`: shared.service.LifespanState)."""
    async with app.router.lifespan_context(app) as lifespan_state:
        state: dict[str, Any] = dict(lifespan_state or {})

        # What a server does with lifespan state: each request's scope gets a shallow copy of it.
        async def with_state(scope: Any, receive: Any, send: Any) -> None:
            await app({**scope, "state": dict(state)}, receive, send)

        transport = httpx.ASGITransport(app=with_state)
        auth = RoleAuth(state["settings"])
        async with httpx.AsyncClient(transport=transport, base_url="http://test", auth=auth) as client:
            yield client, state


@contextlib.asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Starts the app's lifespan and yields an HTTP client for it."""
    async with serving(app) as (client, _):
        yield client


def settings_env(settings: ServiceSettings, **extra: str) -> dict[str, str]:
    """The environment that makes a service process use these settings, its keys included."""
    env = {**os.environ}
    for name, value in settings.model_dump().items():
        if value is not None:
            env[name.upper()] = str(value).lower() if isinstance(value, bool) else str(value)
    env.update(extra)
    return env


class ServiceProcess:
    """One service as its own process (`python -m services.<name>`), as `make up` runs it."""

    def __init__(self, module: str, settings: ServiceSettings, log_path: str | None = None) -> None:
        self.module = module
        self.settings = settings
        self.url = f"http://127.0.0.1:{settings.port}"
        self._log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = open(self._log_path, "ab") if self._log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", self.module], cwd=ROOT, env=settings_env(self.settings), stdout=log, stderr=log
        )

    async def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        async with httpx.AsyncClient() as client:
            while True:
                assert self.process is not None and self.process.poll() is None, f"{self.module} exited"
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{self.url}/readyz", timeout=3)).status_code == 200:
                        return
                assert asyncio.get_running_loop().time() < deadline, f"{self.module} not ready in time"
                await asyncio.sleep(0.2)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def staff_client(**kwargs: Any) -> httpx.AsyncClient:
    """An HTTP client for service processes, signing each request with a token for its route."""
    return httpx.AsyncClient(auth=RoleAuth(), **kwargs)


@contextlib.asynccontextmanager
async def service_processes(
    *services: tuple[str, ServiceSettings], log_dir: str | None = None
) -> AsyncIterator[list[ServiceProcess]]:
    """With `log_dir`, each service's output goes to `<log_dir>/<service_name>.log`."""
    procs = [
        ServiceProcess(module, settings, f"{log_dir}/{settings.service_name}.log" if log_dir else None)
        for module, settings in services
    ]
    try:
        for proc in procs:
            proc.start()
        await asyncio.gather(*(proc.wait_ready() for proc in procs))
        yield procs
    finally:
        for proc in procs:
            proc.stop()
