"""Debian's Chromium, headless, driven by Playwright: Playwright's own browser download is not used; and the
dashboard's session handed to a page that is not to sign in itself."""

import base64
import json
import os
from urllib.parse import urlsplit

from playwright.async_api import Browser, Page, Playwright

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INSTALL_HINT = "未找到 Chromium：请运行 make browser（apt-get install chromium fonts-noto-cjk）"


async def launch(playwright: Playwright) -> Browser:
    if not os.path.exists(CHROMIUM):
        raise FileNotFoundError(f"{INSTALL_HINT}（查找的路径：{CHROMIUM}）")
    return await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)


async def hand_session(page: Page, dashboard: str, access_token: str) -> None:
    """Puts a signed-in session where the dashboard's oidc-client-ts keeps one after a sign-in (the tab's
    sessionStorage, under its realm and client from `<dashboard>/dashboard/config.json`), before the page loads.

    For a picture of the figures (demo/screenshot.py) and the tests that read them, on a private port the realm does
    not allow as a redirect; the page itself only ever signs in at the identity provider (tests/e2e/test_dashboard.py
    signs in at Keycloak). The page renews nothing with it: the token must outlive the visit.
    """
    config = await (await page.request.get(f"{dashboard}/dashboard/config.json")).json()
    claims = json.loads(base64.urlsafe_b64decode(access_token.split(".")[1] + "==="))
    user = {
        "access_token": access_token,
        "token_type": "Bearer",
        "scope": "openid profile",
        "profile": {name: claims[name] for name in ("sub", "iss", "preferred_username") if name in claims},
        "expires_at": claims["exp"],
    }
    key = f"oidc.user:{config['authority']}:{config['client_id']}"
    origin = urlsplit(dashboard)._replace(path="", query="", fragment="").geturl()
    await page.add_init_script(
        f"if (location.origin === {json.dumps(origin)} && !sessionStorage.getItem({json.dumps(key)}))"
        f" sessionStorage.setItem({json.dumps(key)}, {json.dumps(json.dumps(user))});"
    )
