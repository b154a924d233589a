"""`python -m demo.screenshot`: the README's picture of the dashboard after a simulated year.

Plays the demo on a private stack (its own ports, topics and databases: the shared `make up` stack
is left alone), photographs the dashboard with headless Chromium, and removes the private stack.
"""

import argparse
import asyncio
import secrets
import sys
from pathlib import Path

from playwright.async_api import Page, ViewportSize, async_playwright

from demo import main as demo
from demo.browser import hand_session, launch
from demo.client import DemoError
from demo.private_stack import ROOT, private_stack
from shared.auth import Role
from shared.signin import signed_in
from shared.stack_keys import use_stack_keys

VIEWPORT: ViewportSize = {"width": 1600, "height": 1000}


async def settle(page: Page) -> None:
    """The figures, the charts and the trend drawn (data-loaded is set after a whole refresh)."""
    await page.wait_for_selector("body[data-loaded]", timeout=60_000)
    await page.wait_for_selector("#chart-trend canvas", timeout=30_000)
    await page.wait_for_timeout(1500)  # let the charts' first animation finish before the picture


async def photograph(dashboard: str, access_token: str, out: Path) -> None:
    async with async_playwright() as playwright:
        browser = await launch(playwright)
        try:
            page = await browser.new_page(viewport=VIEWPORT, device_scale_factor=1, locale="zh-CN")
            # The private stack's port is no redirect the realm allows: the page is handed dev-viewer's session.
            await hand_session(page, dashboard, access_token)
            await page.goto(f"{dashboard}/")
            await settle(page)
            out.parent.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(out), full_page=True)
        finally:
            await browser.close()


async def run(args: argparse.Namespace) -> None:
    prefix = f"demo{secrets.token_hex(4)}"
    async with private_stack(prefix, ROOT / ".run" / "demo-screenshot" / prefix) as urls:
        flags = [f"--{name}={url}" for name, url in urls.all().items()]
        argv = [*flags, "--no-up", f"--problems={args.problems}", f"--topic-prefix={prefix}."]
        await demo.run(demo.arguments(argv))
        token = await signed_in(Role.VIEWER).atoken()  # make up's dev-viewer; 5 minutes are enough for one picture
        await photograph(urls.projections, token, args.out)
    print(f"截图已保存：{args.out}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m demo.screenshot", description="演示后的统计大屏截图")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "dashboard.png")
    parser.add_argument("--problems", type=int, default=300)
    args = parser.parse_args()
    use_stack_keys(create=True)  # the private stack's services use this install's keys; they trust make up's Keycloak
    try:
        asyncio.run(run(args))
    except DemoError as exc:
        print(f"截图中止：{exc}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
