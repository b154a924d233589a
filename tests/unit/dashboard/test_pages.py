"""The dashboard's page and assets: served without a token, from this machine only, with a strict policy."""

import re
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from services.projections.api import dashboard as pages


async def get(path: str) -> httpx.Response:
    app = FastAPI()
    app.include_router(pages.router)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://dashboard") as client:
        return await client.get(path)


async def test_the_page_is_served_without_a_token_and_allows_only_its_own_scripts() -> None:
    response = await get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "统计大屏" in response.text
    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "connect-src 'self';" in policy
    assert response.headers["cache-control"] == "no-store"


def test_the_page_loads_nothing_from_another_host() -> None:
    html = (pages.STATIC / "index.html").read_text()
    sources = re.findall(r'(?:src|href)="([^"#]+)"', html)
    assert sources and all(source.startswith("/dashboard/") for source in sources)


def test_the_script_inserts_no_html_of_its_own() -> None:
    script = (pages.STATIC / "dashboard.js").read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script


async def test_echarts_comes_from_the_npm_install_and_its_absence_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    if pages.ECHARTS.is_file():
        served = await get("/dashboard/echarts.min.js")
        assert served.status_code == 200 and "javascript" in served.headers["content-type"]
        assert served.content == pages.ECHARTS.read_bytes()
    monkeypatch.setitem(pages.ASSETS, "echarts.min.js", (tmp_path / "missing.js", "text/javascript"))
    missing = await get("/dashboard/echarts.min.js")
    assert missing.status_code == 503 and "make assets" in missing.text


async def test_only_the_named_assets_are_served() -> None:
    for path in ("/dashboard/pages.py", "/dashboard/..%2Fpages.py", "/dashboard/index.html"):
        assert (await get(path)).status_code == 404
