"""The built workbench (workbench/dist) behind the real proxy, in Debian's Chromium, signing in at the tests' Keycloak.

The page reads the identity provider from its config.json (rewritten here for the tests' Keycloak: the runtime
configuration, no rebuild), sends the browser to the realm's sign-in page with the authorization code and PKCE
(S256), comes back signed in with the person's role and unit on top and the menu of their jobs, and signs out at the
identity provider. The tests' Keycloak allows this test's port as a redirect for the test's duration only (its admin
API); the realm file in the repository is not changed. No service runs: the sign-in needs none.
"""

import contextlib
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

from playwright.async_api import Page, async_playwright, expect

from demo.browser import launch
from shared import identity
from shared.auth import Role
from tests.support.keycloak import Keycloak
from tests.support.service import free_port
from tests.support.workbench import DIST, proxy_serving, redirects_allowed

TIMEOUT_MS = 30_000


@contextlib.asynccontextmanager
async def signed_in(
    keycloak: Keycloak, person: identity.DevUser, path: str, landing: str | None = None
) -> AsyncIterator[tuple[Page, str]]:
    """The build behind a proxy of its own, in Chromium: `person` opens `path`, is sent to Keycloak's sign-in page with
    the authorization code and PKCE (S256), signs in and is back on `path` (or where it leads, `landing`). Yields the
    page and the origin."""
    assert (DIST / "index.html").exists(), "workbench/dist is missing: run make assets"
    config = {"authority": keycloak.issuer, "client_id": "workbench"}
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    with (
        redirects_allowed(keycloak, origin),
        proxy_serving(config, port, keycloak.url),
    ):
        with identity.admin_client(keycloak.url, keycloak.admin_password) as admin:
            password = identity.ensure_user(admin, person, None)
        async with async_playwright() as playwright:
            browser = await launch(playwright)
            try:
                page = await browser.new_page()
                page.set_default_timeout(TIMEOUT_MS)
                await page.goto(f"{origin}/#{path}")
                await page.wait_for_url(f"{keycloak.issuer}/protocol/openid-connect/auth?**")
                asked = parse_qs(urlsplit(page.url).query)
                assert asked["client_id"] == ["workbench"] and asked["response_type"] == ["code"]
                assert asked["code_challenge_method"] == ["S256"] and len(asked["code_challenge"][0]) >= 43
                assert asked["redirect_uri"] == [f"{origin}/"]

                await page.fill("#username", person.username)
                await page.fill("#password", password)
                await page.click("#kc-login")
                await page.wait_for_url(f"{origin}/#{landing or path}")
                yield page, origin
            finally:
                await browser.close()


async def test_the_workbench_signs_in_at_keycloak_with_pkce_shows_the_unit_and_its_jobs_and_signs_out(
    keycloak: Keycloak,
) -> None:
    person = identity.DevUser("e2e-workbench-unit", Role.UNIT, "城关镇人民政府")
    async with signed_in(keycloak, person, "/unit/cases") as (page, _):
        # The role from realm_access.roles, the unit from the unit claim (the name may hold either too).
        await expect(page.locator(".top .role")).to_have_text("责任单位")
        await expect(page.locator(".top .unit")).to_have_text("城关镇人民政府")
        await expect(page.locator(".menu")).to_contain_text("我的案件")
        await expect(page.locator(".menu")).to_contain_text("超期清单")
        assert "code=" not in page.url, "the authorization code is removed from the address"

        await page.get_by_role("button", name="退出登录").click()
        await page.wait_for_url(f"{keycloak.issuer}/protocol/openid-connect/auth?**")


async def test_a_county_leader_gets_the_read_only_pages_and_a_dashboard_link_that_carries_no_token(
    keycloak: Keycloak,
) -> None:
    """No service runs, so the pages say they cannot read; what is checked is what the leader is offered."""
    person = identity.DevUser("e2e-workbench-leader", Role.LEADER, None)
    async with signed_in(keycloak, person, "/", landing="/leader/overview") as (page, origin):
        menu = page.locator(".menu")
        for title in ("总览", "案件台账", "超期清单", "统计大屏"):
            await expect(menu).to_contain_text(title)
        for title in ("待交办", "待验收", "交办表导入", "我的案件"):
            await expect(menu).not_to_contain_text(title)

        async with page.context.expect_page() as opened:
            await menu.get_by_text("统计大屏").click()
        dashboard = await opened.value
        await dashboard.wait_for_url(f"{origin}/dashboard/**")
        address = urlsplit(dashboard.url)
        assert f"{address.scheme}://{address.netloc}{address.path}" == f"{origin}/dashboard/"
        # The dashboard signs in by itself (the loop's test sees it do so): nothing of the session is in the address.
        assert "token" not in address.fragment and "token" not in address.query
