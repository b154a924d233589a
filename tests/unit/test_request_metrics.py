"""Each request counted once under its route's template, never its raw path."""

import httpx
from fastapi import FastAPI
from prometheus_client import REGISTRY

from shared.metrics import RequestMetrics


def counted(handler: str, method: str, status: str) -> float:
    value = REGISTRY.get_sample_value("http_requests_total", {"handler": handler, "method": method, "status": status})
    return value or 0.0


def observed(handler: str, method: str) -> float:
    value = REGISTRY.get_sample_value("http_request_duration_seconds_count", {"handler": handler, "method": method})
    return value or 0.0


async def test_a_request_is_counted_under_its_route_template_and_probes_are_not() -> None:
    app = FastAPI()

    @app.get("/v1/things/{thing_id}")
    async def thing(thing_id: str) -> dict[str, str]:
        return {"id": thing_id}

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.add_middleware(RequestMetrics)
    before = (counted("/v1/things/{thing_id}", "GET", "2xx"), observed("/v1/things/{thing_id}", "GET"))
    unmatched = counted("none", "GET", "4xx")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        assert (await client.get("/v1/things/a-1")).status_code == 200
        assert (await client.get("/v1/things/b-2")).status_code == 200
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/nowhere")).status_code == 404
    assert counted("/v1/things/{thing_id}", "GET", "2xx") == before[0] + 2
    assert observed("/v1/things/{thing_id}", "GET") == before[1] + 2
    assert counted("/healthz", "GET", "2xx") == 0.0
    assert counted("none", "GET", "4xx") == unmatched + 1
    assert (
        REGISTRY.get_sample_value(
            "http_requests_total", {"handler": "/v1/things/a-1", "method": "GET", "status": "2xx"}
        )
        is None
    )
