"""The built workbench (workbench/dist) behind the real proxy, in Debian's Chromium, signing in at the tests' Keycloak.

The page reads the identity provider from its config.json (rewritten here for the tests' Keycloak: the runtime
configuration, no rebuild), sends the browser to the realm's sign-in page with the authorization code and PKCE
(S256), comes back signed in with the person's role and unit on top and the menu of their jobs, and signs out at the
identity provider. The tests' Keycloak allows this test's port as a redirect for the test's duration only (its admin
API); the realm file in the repository is not changed. No service runs: the sign-in needs none.
"""

import contextlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
from playwright.async_api import async_playwright, expect

from demo.browser import launch
from shared import identity
from shared.auth import Role
from tests.support.keycloak import Keycloak
from tests.support.service import free_port
from tests.support.stack import ROOT

DIST = ROOT / "workbench" / "dist"
TIMEOUT_MS = 30_000


@contextlib.contextmanager
def redirects_allowed(admin: httpx.Client, origin: str) -> Iterator[None]:
    """The workbench client of the tests' Keycloak also accepts `origin` (redirects, CORS, sign-out), then no more."""
    (client,) = admin.get(f"/{identity.REALM}/clients", params={"clientId": identity.WORKBENCH_CLIENT}).json()
    path = f"/{identity.REALM}/clients/{client['id']}"
    changed = {
        **client,
        "redirectUris": [*client["redirectUris"], f"{origin}/*"],
        "webOrigins": [*client["webOrigins"], origin],
        "attributes": {
            **client["attributes"],
            "post.logout.redirect.uris": f"{client['attributes']['post.logout.redirect.uris']}##{origin}/*",
        },
    }
    admin.put(path, json=changed).raise_for_status()
    try:
        yield
    finally:
        admin.put(path, json=client).raise_for_status()


@contextlib.contextmanager
def proxy_serving(config: dict[str, str], port: int, idp_origin: str) -> Iterator[str]:
    """infra/proxy.sh on `port` serving a copy of the build with this config.json (under .run/, which nginx's
    workers can read), stopped and its state removed afterwards."""
    state = ROOT / ".run" / f"proxy-{port}"
    static_root = state / "workbench"
    shutil.copytree(DIST, static_root)
    (static_root / "config.json").write_text(json.dumps(config))
    env = {
        **os.environ,
        "PROXY_PORT": str(port),
        "PROXY_STATIC_ROOT": str(static_root),
        "PROXY_IDP_ORIGIN": idp_origin,
    }
    script = ["bash", str(ROOT / "infra" / "proxy.sh")]
    try:
        subprocess.run([*script, "start"], env=env, check=True, timeout=300)
        yield f"http://127.0.0.1:{port}"
    finally:
        subprocess.run([*script, "stop"], env=env, check=True, timeout=30)
        shutil.rmtree(state, ignore_errors=True)
        for log in (ROOT / ".run" / "logs").glob(f"proxy-{port}*.log"):
            log.unlink()


async def test_the_workbench_signs_in_at_keycloak_with_pkce_shows_the_unit_and_its_jobs_and_signs_out(
    keycloak: Keycloak,
) -> None:
    assert (DIST / "index.html").exists(), "workbench/dist is missing: run make assets"
    config = {"authority": keycloak.issuer, "client_id": "workbench"}
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    person = identity.DevUser("e2e-workbench-unit", Role.UNIT, "城关镇人民政府")
    with (
        identity.admin_client(keycloak.url, keycloak.admin_password) as admin,
        redirects_allowed(admin, origin),
        proxy_serving(config, port, keycloak.url),
    ):
        password = identity.ensure_user(admin, person, None)
        async with async_playwright() as playwright:
            browser = await launch(playwright)
            try:
                page = await browser.new_page()
                page.set_default_timeout(TIMEOUT_MS)
                await page.goto(f"{origin}/#/unit/cases")
                sign_in = f"{keycloak.issuer}/protocol/openid-connect/auth"
                await page.wait_for_url(f"{sign_in}?**")
                asked = parse_qs(urlsplit(page.url).query)
                assert asked["client_id"] == ["workbench"] and asked["response_type"] == ["code"]
                assert asked["code_challenge_method"] == ["S256"] and len(asked["code_challenge"][0]) >= 43
                assert asked["redirect_uri"] == [f"{origin}/"]

                await page.fill("#username", person.username)
                await page.fill("#password", password)
                await page.click("#kc-login")
                await page.wait_for_url(f"{origin}/#/unit/cases")
                # The role from realm_access.roles, the unit from the unit claim (the name may hold either too).
                await expect(page.locator(".top .role")).to_have_text("责任单位")
                await expect(page.locator(".top .unit")).to_have_text("城关镇人民政府")
                await expect(page.locator(".menu")).to_contain_text("我的案件")
                await expect(page.locator(".menu")).to_contain_text("超期清单")
                assert "code=" not in page.url, "the authorization code is removed from the address"

                await page.get_by_role("button", name="退出登录").click()
                await page.wait_for_url(f"{sign_in}?**")
            finally:
                await browser.close()
