"""Debian's Chromium, headless, driven by Playwright: Playwright's own browser download is not used."""

import os

from playwright.async_api import Browser, Playwright

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
