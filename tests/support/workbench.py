"""The built workbench in a browser test: the tests' Keycloak accepting the test's origin for a while, and a proxy
(infra/proxy.sh) on a port of the test's serving a copy of workbench/dist with the test's config.json in front of
the test's services; a person signing in there in a browser context of their own, and a form's fields by label."""

import contextlib
import json
import os
import secrets
import shutil
import subprocess
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import Any

from playwright.async_api import Browser, BrowserContext, Locator, Page, async_playwright, expect

from demo.browser import launch
from shared import identity
from shared.auth import Role
from shared.settings import ServiceSettings
from tests.support.keycloak import PORT as KEYCLOAK_PORT
from tests.support.keycloak import Keycloak
from tests.support.service import free_port, service_processes
from tests.support.stack import ROOT, exclusive

DIST = ROOT / "workbench" / "dist"
TIMEOUT_MS = 30_000
SERVICES = ("intake", "cases", "enforcement", "accountability", "projections")


def change_workbench_client(keycloak: Keycloak, edit: Callable[[dict[str, Any]], None]) -> None:
    """Edits the realm's workbench client through the admin API, signed in as the admin afresh (a browser test
    outlives the admin's one-minute token).

    One test worker at a time: the edit reads the whole client and writes it back, so two workers editing at once
    would each write the client without the other's change (a lost redirect: that test's sign-in is refused)."""
    with (
        exclusive(ROOT / ".run" / f"keycloak-{KEYCLOAK_PORT}-workbench-client.lock"),
        identity.admin_client(keycloak.url, keycloak.admin_password) as admin,
    ):
        (client,) = admin.get(f"/{identity.REALM}/clients", params={"clientId": identity.WORKBENCH_CLIENT}).json()
        edit(client)
        admin.put(f"/{identity.REALM}/clients/{client['id']}", json=client).raise_for_status()


@contextlib.contextmanager
def redirects_allowed(keycloak: Keycloak, origin: str) -> Iterator[None]:
    """The workbench client of the tests' Keycloak also accepts `origin` (redirects, CORS, sign-out), then no more.
    Only this origin's entries are touched, so another test's are kept."""
    redirect, logout = f"{origin}/*", f"##{origin}/*"

    def allow(client: dict[str, Any]) -> None:
        client["redirectUris"].append(redirect)
        client["webOrigins"].append(origin)
        client["attributes"]["post.logout.redirect.uris"] += logout

    def disallow(client: dict[str, Any]) -> None:
        client["redirectUris"] = [uri for uri in client["redirectUris"] if uri != redirect]
        client["webOrigins"] = [uri for uri in client["webOrigins"] if uri != origin]
        attributes = client["attributes"]
        attributes["post.logout.redirect.uris"] = attributes["post.logout.redirect.uris"].replace(logout, "")

    change_workbench_client(keycloak, allow)
    try:
        yield
    finally:
        change_workbench_client(keycloak, disallow)


@contextlib.contextmanager
def short_lived_client(keycloak: Keycloak, origin: str, seconds: int) -> Iterator[str]:
    """A client of this test's alone, the workbench client's copy (its token mappers) for `origin` only, whose access
    tokens live `seconds`, so a session's renewal comes at once and again and again, as it would at the end of a
    real token's five minutes; deleted afterwards. Yields its client id.

    Never the workbench client itself: every other browser test running meanwhile (make test runs two workers) would
    get the short tokens too and renew all the time, and a renewal late on a busy machine signs its page out."""
    client_id = f"{identity.WORKBENCH_CLIENT}-{secrets.token_hex(4)}"
    with identity.admin_client(keycloak.url, keycloak.admin_password) as admin:
        (workbench,) = admin.get(f"/{identity.REALM}/clients", params={"clientId": identity.WORKBENCH_CLIENT}).json()
        copy = {key: value for key, value in workbench.items() if key not in ("id", "clientId")}
        copy["protocolMappers"] = [{k: v for k, v in m.items() if k != "id"} for m in workbench["protocolMappers"]]
        copy |= {"clientId": client_id, "redirectUris": [f"{origin}/*"], "webOrigins": [origin]}
        copy["attributes"] = workbench["attributes"] | {
            "post.logout.redirect.uris": f"{origin}/*",
            "access.token.lifespan": str(seconds),
        }
        created = admin.post(f"/{identity.REALM}/clients", json=copy)
        created.raise_for_status()
        location = created.headers["Location"]
    try:
        yield client_id
    finally:
        with identity.admin_client(keycloak.url, keycloak.admin_password) as admin:
            admin.delete(location).raise_for_status()


@contextlib.contextmanager
def person_of_their_own(keycloak: Keycloak, role: Role, unit: str | None = None) -> Iterator[tuple[str, str]]:
    """A throwaway user of `role` (and `unit`) in the tests' Keycloak, deleted afterwards: (username, password).
    For a test that ends its person's sessions: a development user's would end another test's pages too."""
    person = identity.DevUser(f"test-{role.value.replace('_', '-')}-{secrets.token_hex(4)}", role, unit)
    with identity.admin_client(keycloak.url, keycloak.admin_password) as admin:
        password = identity.ensure_user(admin, person, None)
    try:
        yield person.username, password
    finally:
        with identity.admin_client(keycloak.url, keycloak.admin_password) as admin:
            (user,) = admin.get(
                f"/{identity.REALM}/users", params={"username": person.username, "exact": "true"}
            ).json()
            admin.delete(f"/{identity.REALM}/users/{user['id']}").raise_for_status()


@contextlib.contextmanager
def proxy_serving(
    config: dict[str, str], port: int, idp_origin: str, services: Mapping[str, str] | None = None
) -> Iterator[str]:
    """infra/proxy.sh on `port` serving a copy of the build with this config.json (under .run/, which nginx's
    workers can read), stopped and its state removed afterwards. `services` maps a service's name to the
    host:port it answers on (the proxy's defaults otherwise: make up's ports)."""
    state = ROOT / ".run" / f"proxy-{port}"
    static_root = state / "workbench"
    shutil.copytree(DIST, static_root)
    (static_root / "config.json").write_text(json.dumps(config))
    env = {
        **os.environ,
        "PROXY_PORT": str(port),
        "PROXY_STATIC_ROOT": str(static_root),
        "PROXY_IDP_ORIGIN": idp_origin,
        **{f"PROXY_{name.upper()}": address for name, address in (services or {}).items()},
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


@contextlib.asynccontextmanager
async def workbench_with(
    keycloak: Keycloak, *services: tuple[str, ServiceSettings], token_seconds: int | None = None
) -> AsyncIterator[tuple[str, Browser]]:
    """The workbench's origin behind a proxy of the test's, in front of these services as processes, and Debian's
    Chromium. A service the test does not start answers from a port nothing listens on (the proxy's 502), never
    from another stack's service on make up's ports. `token_seconds`: signed in through a client of the test's own
    whose access tokens live that long (short_lived_client)."""
    assert (DIST / "index.html").exists(), "workbench/dist is missing: run make assets"
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    nowhere = f"127.0.0.1:{free_port()}"
    async with service_processes(*services):
        upstreams = {name: nowhere for name in SERVICES}
        upstreams |= {settings.service_name: f"127.0.0.1:{settings.port}" for _, settings in services}
        with contextlib.ExitStack() as stack:
            if token_seconds is None:
                stack.enter_context(redirects_allowed(keycloak, origin))
                client_id = identity.WORKBENCH_CLIENT
            else:
                client_id = stack.enter_context(short_lived_client(keycloak, origin, token_seconds))
            config = {"authority": keycloak.issuer, "client_id": client_id}
            stack.enter_context(proxy_serving(config, port, keycloak.url, upstreams))
            async with async_playwright() as playwright:
                browser = await launch(playwright)
                try:
                    yield origin, browser
                finally:
                    await browser.close()


async def signed_in_page(
    browser: Browser, origin: str, path: str, username: str, password: str, **context: Any
) -> tuple[BrowserContext, Page]:
    """A person of their own (a browser context: their own session storage) signed in at Keycloak on `path`."""
    person = await browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **context)
    page = await person.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    await page.goto(f"{origin}{path}")
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.click("#kc-login")
    await page.wait_for_url(f"{origin}{path}")
    return person, page


def field(page: Page, label: str) -> Locator:
    """The form item whose label is `label` (Element Plus: the label and its control share one .el-form-item)."""
    return page.locator(".el-form-item", has=page.locator(".el-form-item__label", has_text=label))


async def choose(page: Page, label: str, option: str, *, typed: bool = False) -> None:
    """Picks `option` in the select of the form item `label`; `typed` types it first (a picker that takes new
    values, such as a unit or a township not known yet).

    Then waits until the select shows it as picked, and picks again if not: on a busy machine a click can land while
    the dropdown before it is still closing, or while the page above the form is still growing (the report's card
    comes after the case), and the form would go out without the value. Picked is the select's label, not its text:
    a filterable select also holds what was typed (Element Plus's width calculator), picked or not."""
    select = field(page, label).locator(".el-select")
    picked = select.locator(".el-select__placeholder:not(.is-transparent)")
    for _ in range(3):
        await select.click()
        if typed:
            await page.keyboard.type(option)
        await page.locator(".el-select-dropdown__item:visible", has_text=option).first.click()
        with contextlib.suppress(AssertionError):
            await expect(picked).to_contain_text(option, timeout=5_000)
            return
        await page.keyboard.press("Escape")
    await expect(picked).to_contain_text(option)
