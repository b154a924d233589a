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
    """Relative to the page, so that it works at projections' root and under the proxy's /dashboard/ alike."""
    html = (pages.STATIC / "index.html").read_text()
    sources = re.findall(r'(?:src|href)="([^"#]+)"', html)
    assert sources and all(source.startswith("dashboard/") for source in sources)


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


async def test_the_page_ignores_a_token_in_the_query_and_never_echoes_or_keeps_it() -> None:
    """A `?token=` reaches no code: the same page as without it, no cookie, no redirect carrying it."""
    plain = await get("/")
    with_token = await get("/?token=secret-viewer-token")
    assert with_token.status_code == 200
    assert with_token.content == plain.content
    assert "secret-viewer-token" not in with_token.text
    assert "set-cookie" not in with_token.headers and "location" not in with_token.headers


def test_the_script_takes_the_token_from_the_fragment_and_never_from_the_query() -> None:
    script = (pages.STATIC / "dashboard.js").read_text()
    assert 'searchParams.get("token")' not in script
    assert "location.search" not in script
    assert re.search(r"#token=", script) and "url.hash" in script
    # read once, then gone from the address bar and the history
    assert "history.replaceState" in script
    # the links the page tells people to use carry the token in the fragment, never the query
    assert "带 #token= 的链接" in script and "带 ?token= 的链接" not in script
