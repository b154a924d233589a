"""信息公开's page: served without a token, in zh-CN for a phone, its own scripts only, talking to this origin only."""

import re

import httpx
from fastapi import FastAPI

from services.projections.api import public as pages
from shared.contracts.intake import ObjectionFiled


async def get(path: str) -> httpx.Response:
    app = FastAPI()
    app.include_router(pages.router)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://public") as client:
        return await client.get(path)


async def test_the_page_is_zh_cn_for_a_phone_with_no_inline_script_and_a_strict_policy() -> None:
    page = await get("/public/")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert '<html lang="zh-CN">' in page.text and 'name="viewport"' in page.text
    assert re.findall(r"<script[^>]*>", page.text) == ['<script src="public.js" defer>']
    directives = dict(d.strip().split(" ", 1) for d in page.headers["content-security-policy"].split(";"))
    assert directives["default-src"] == "'none'" and directives["connect-src"] == "'self'"
    assert directives["script-src"] == "'self'" and directives["form-action"] == "'none'"


async def test_only_the_pages_own_files_are_served() -> None:
    for name in pages.ASSETS:
        asset = await get(f"/public/{name}")
        assert asset.status_code == 200 and asset.headers["content-security-policy"]
    assert (await get("/public/..%2Fmain.py")).status_code == 404
    assert (await get("/public/index.html")).status_code == 404


def test_the_script_sets_text_never_html_and_checks_the_objections_bounds_as_intake_does() -> None:
    script = (pages.FOLDER / "public.js").read_text()
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script
    assert "const MIN_TEXT = 5;" in script and "const MAX_TEXT = 1000;" in script
    bounds = {m.__class__.__name__: m for m in ObjectionFiled.model_fields["text"].metadata}
    assert (bounds["MinLen"].min_length, bounds["MaxLen"].max_length) == (5, 1000)
