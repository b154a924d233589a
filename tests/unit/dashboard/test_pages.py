"""The dashboard's page and assets: served without a token, from this machine only, with a strict policy; where it
signs in comes from projections' settings."""

import json
import re
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from services.projections.api import dashboard as pages
from services.projections.settings import ProjectionsSettings
from tests.support.stack import ROOT

REALM = "https://sso.county.example/realms/county"
COUNTY = pages.SignIn(REALM, "workbench")


async def get(path: str, where: pages.SignIn = COUNTY) -> httpx.Response:
    app = FastAPI()
    app.include_router(pages.router)
    app.dependency_overrides[pages.sign_in] = lambda: where
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://dashboard") as client:
        return await client.get(path)


async def test_the_page_is_served_without_a_token_and_allows_only_its_own_scripts() -> None:
    response = await get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "统计大屏" in response.text
    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "default-src 'none';" in policy
    assert response.headers["cache-control"] == "no-store"


async def test_the_page_may_talk_to_its_origin_and_the_realm_at_the_identity_provider_and_nothing_more() -> None:
    policy = (await get("/")).headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["connect-src"] == f"'self' {REALM}/"
    assert "frame-src" not in directives and "child-src" not in directives  # default-src 'none': no frames
    assert directives["form-action"] == "'none'"


async def test_the_config_names_the_realm_and_the_client_from_the_settings() -> None:
    answer = await get("/dashboard/config.json", pages.SignIn("http://127.0.0.1:18680/realms/county", "board"))
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    assert answer.json() == {"authority": "http://127.0.0.1:18680/realms/county", "client_id": "board"}
    settings = ProjectionsSettings(kafka_password="x", oidc_issuer=f"{REALM}/", dashboard_client_id="board")
    assert pages.SignIn.of(settings) == pages.SignIn(REALM, "board")


@pytest.mark.parametrize(
    "issuer", ["http://idp/realms/county; script-src *", "http://idp/realms/county 'unsafe-inline'", "javascript:1"]
)
def test_an_issuer_that_would_change_the_policy_stops_projections_at_start(issuer: str) -> None:
    with pytest.raises(ValidationError, match="OIDC_ISSUER"):
        ProjectionsSettings(kafka_password="x", oidc_issuer=issuer)


def test_the_page_loads_nothing_from_another_host() -> None:
    """Relative to the page, so that it works at projections' root and under the proxy's /dashboard/ alike."""
    html = (pages.STATIC / "index.html").read_text()
    sources = re.findall(r'(?:src|href)="([^"#]+)"', html)
    assert sources and all(source.startswith("dashboard/") for source in sources)


def test_the_script_inserts_no_html_of_its_own() -> None:
    script = (pages.STATIC / "dashboard.js").read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script


@pytest.mark.parametrize("name", ["echarts.min.js", "oidc-client-ts.min.js"])
async def test_echarts_and_the_oidc_client_come_from_the_npm_install_and_their_absence_says_how_to_install_them(
    name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path, _ = pages.ASSETS[name]
    if path.is_file():
        served = await get(f"/dashboard/{name}")
        assert served.status_code == 200 and "javascript" in served.headers["content-type"]
        assert served.content == path.read_bytes()
    monkeypatch.setitem(pages.ASSETS, name, (tmp_path / "missing.js", "text/javascript"))
    missing = await get(f"/dashboard/{name}")
    assert missing.status_code == 503 and "make assets" in missing.text


def test_the_oidc_client_is_the_workbenchs_version() -> None:
    """One library, one version: the dashboard's lockfile pins what the workbench's does."""
    wanted = json.loads((ROOT / "workbench" / "package.json").read_text())["dependencies"]["oidc-client-ts"]
    ours = json.loads((pages.FOLDER / "package.json").read_text())["dependencies"]["oidc-client-ts"]
    locked = json.loads((pages.FOLDER / "package-lock.json").read_text())["packages"]["node_modules/oidc-client-ts"]
    assert ours == locked["version"] == wanted


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


def test_the_script_signs_in_with_oidc_client_ts_and_takes_no_token_from_the_address() -> None:
    script = (pages.STATIC / "dashboard.js").read_text()
    assert "new window.oidc.UserManager(" in script and 'response_type: "code"' in script
    assert "window.sessionStorage" in script and "automaticSilentRenew: true" in script
    assert "sessionStorage.setItem" not in script and "localStorage" not in script
    assert 'get("token")' not in script and "#token=" not in script.replace("#token=…", "")
    html = (pages.STATIC / "index.html").read_text()
    assert html.index("dashboard/oidc-client-ts.min.js") < html.index("dashboard/dashboard.js")
    assert 'id="sign-out"' in html and "退出登录" in html and "token" not in html
