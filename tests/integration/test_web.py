"""What every service's HTTP side shares, through HTTP: the body limit before authentication, readiness codes
without error texts, and /metrics behind its token."""

import asyncio
import contextlib
from collections.abc import AsyncIterator

import asyncpg
import httpx
from fastapi import FastAPI

from services.cases.main import create_app as cases_app
from services.cases.settings import CasesSettings
from services.intake.main import create_app as intake_app
from services.intake.settings import IntakeSettings
from shared.body_limit import MIB
from shared.broker import Broker
from shared.db import create_pool
from shared.service import build_app
from shared.settings import ServiceSettings, dsn_for
from shared.web import Readiness, install
from tests.conftest import SettingsFactory
from tests.support.ports import free_port
from tests.support.service import serving


class Body:
    """A request body of `size` bytes in 1 MB chunks that counts how much of it the server pulled."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.pulled < self.size:
            self.pulled += MIB
            yield b"x" * MIB


async def test_a_30_mb_post_without_a_token_is_refused_with_413_before_its_body_is_read(
    make_settings: SettingsFactory, topics: list[str]
) -> None:
    settings: CasesSettings = make_settings(CasesSettings)
    async with serving(cases_app(settings)) as (client, _):
        for declared in (True, False):  # with a Content-Length, and chunked without one
            body = Body(30 * MIB)
            headers = {"Content-Type": "application/json"} | ({"Content-Length": str(body.size)} if declared else {})
            answer = await client.post("/v1/cases/c-1/supervise", content=body, headers=headers, auth=httpx.Auth())
            assert answer.status_code == 413, answer.text
            assert answer.json()["error"]["code"] == "payload_too_large"
            assert "提交的内容超过 1 MB 的上限" in answer.json()["error"]["message"]
            assert "x-correlation-id" in answer.headers
            # Refused on the declared length without reading, or at the first chunk over the limit.
            assert body.pulled <= (0 if declared else settings.max_body_bytes + MIB), body.pulled


async def test_intake_takes_more_on_its_form_than_on_its_json_routes(make_settings: SettingsFactory) -> None:
    settings: IntakeSettings = make_settings(IntakeSettings, max_json_bytes=4096)
    async with serving(intake_app(settings)) as (client, _):
        padding = "很" * 3000  # 9 KB: above the JSON limit, far below the form's
        as_json = await client.post("/v1/reports", json={"title": "偷排", "description": padding})
        assert as_json.status_code == 413
        form = {"title": "偷排", "description": padding, "township": "城关镇", "domain": "water"}
        as_form = await client.post("/report", data=form, headers={"Accept": "application/json"})
        assert as_form.status_code != 413, as_form.text


async def test_readiness_answers_a_code_per_check_and_keeps_the_errors_to_the_log(
    make_settings: SettingsFactory,
) -> None:
    settings: ServiceSettings = make_settings()
    pool = await create_pool(settings)
    try:
        # The service's database goes away under its pool, and its broker does not answer.
        admin = await asyncpg.connect(dsn_for(settings.database_url, "postgres"))
        try:
            await admin.execute(f'drop database "{settings.database}" with (force)')
        finally:
            await admin.close()
        readiness = Readiness(Broker(f"127.0.0.1:{free_port()}"))
        readiness.pool = pool
        app = FastAPI()
        install(app, readiness)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            answer = await client.get("/readyz")
        await readiness.close()
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(pool.close(), 5)
    assert answer.status_code == 503
    assert answer.json() == {
        "ready": False,
        "checks": {"database": "unavailable", "kafka": "unavailable"},
        "degraded": False,
        "alerts": {},
    }


async def test_metrics_need_their_token_outside_development(make_settings: SettingsFactory) -> None:
    token = "a-metrics-token-of-at-least-32-bytes-0123"

    def app_with(settings: ServiceSettings) -> FastAPI:
        return build_app(settings, title="any service", compose=lambda platform: platform)

    async def metrics(app: FastAPI, authorization: str | None = None) -> httpx.Response:
        headers = {"Authorization": authorization} if authorization else {}
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            return await client.get("/metrics", headers=headers)

    without_token = app_with(make_settings(environment="production"))
    refused = await metrics(without_token)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "metrics_token_required"
    assert "METRICS_TOKEN" in refused.json()["error"]["message"]

    with_token = app_with(make_settings(environment="production", metrics_token=token))
    assert (await metrics(with_token)).status_code == 401
    assert (await metrics(with_token, "Bearer not-the-token")).status_code == 401
    allowed = await metrics(with_token, f"Bearer {token}")
    assert allowed.status_code == 200 and "events_appended_total" in allowed.text

    development = app_with(make_settings(environment="development"))
    assert (await metrics(development)).status_code == 200
