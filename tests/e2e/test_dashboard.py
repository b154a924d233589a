"""The dashboard in a real browser (Debian's Chromium, headless, driven by Playwright) against the five services.

A short county year is played through the services' HTTP APIs (the demo's own player); the page must
show the figures the API gives, open the cases behind a figure, and each case's timeline.
The page is opened as people are told to open it, with the token in the fragment (`/#token=…`), which
the browser sends to no server: no request the page makes carries it anywhere but its Authorization header.
"""

import dataclasses
import json
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Page, Request, Route, async_playwright, expect

from demo.browser import launch
from demo.client import County, Urls
from demo.main import caught_up
from demo.plan import Fate, plan_year
from demo.play import Pace, Player
from services.accountability.settings import AccountabilitySettings
from services.cases.settings import CasesSettings
from services.enforcement.settings import EnforcementSettings
from services.intake.settings import IntakeSettings
from services.projections.settings import ProjectionsSettings
from shared.auth import Role
from tests.conftest import SettingsFactory
from tests.support.issuer import Bearer, issue_token, people
from tests.support.service import free_port, service_processes

FATES = (
    Fate.CLOSED,
    Fate.CLOSED,
    Fate.CLOSED_AFTER_REJECTION,
    Fate.MISSED_ONCE,
    Fate.MISSED_TWICE,
    Fate.IN_PROGRESS,
    Fate.AWAITING_VERIFICATION,
    Fate.UNASSIGNED,
)
# Typed by the public: the page must show it as text and run none of it.
HOSTILE_TITLE = '<img src=x onerror="window.__pwned=1">偷排<script>window.__pwned=2</script>'
TIMEOUT_MS = 20_000


def short_year() -> Any:
    """Eight problems in the first month, one of each fate the figures tell apart, and one enforcement case."""
    year = plan_year(seed=11, problems=len(FATES), run="E2E", enforcement_cases=1)
    problems = tuple(dataclasses.replace(p, fate=f, month=0) for p, f in zip(year.problems, FATES, strict=True))
    enforcement = tuple(dataclasses.replace(e, month=0, problem=None) for e in year.enforcement)
    return dataclasses.replace(year, problems=problems, enforcement=enforcement, measures=())


async def figures(client: httpx.AsyncClient, url: str) -> dict[str, Any]:
    answer: dict[str, Any] = (await client.get(url)).json()
    return answer


async def test_the_dashboard_shows_the_apis_figures_and_drills_down_to_cases_and_timelines(
    make_settings: SettingsFactory, topics: list[str], tmp_path: Path
) -> None:
    services = (
        ("services.intake", make_settings(IntakeSettings, port=free_port())),
        ("services.cases", make_settings(CasesSettings, port=free_port(), deadline_poll_seconds=0.2)),
        ("services.enforcement", make_settings(EnforcementSettings, port=free_port())),
        ("services.accountability", make_settings(AccountabilitySettings, port=free_port())),
        ("services.projections", make_settings(ProjectionsSettings, port=free_port())),
    )
    viewer = issue_token(subject="e2e-viewer", role=Role.VIEWER)
    async with (
        service_processes(*services) as (i, c, e, a, p),
        httpx.AsyncClient(timeout=15, headers={"Authorization": f"Bearer {viewer}"}) as client,
    ):
        urls = Urls(i.url, c.url, e.url, a.url, p.url)
        year = short_year()
        player = Player(
            County(urls, people, client, concurrency=8), year, Pace(month_seconds=0.2, deadline_seconds=1.5)
        )
        await player.play()
        hostile = await client.post(
            f"{i.url}/v1/reports",
            json={
                "source": "mailbox",
                "title": HOSTILE_TITLE,
                "description": "群众来信",
                "township": "城关镇",
                "domain": "water",
            },
        )
        assert hostile.status_code == 202, hostile.text
        totals = await caught_up(client, urls, Bearer(viewer), len(FATES) + 1, timeout=60)
        assert (totals["total"], totals["overdue"]) == (len(FATES) + 1, 2)
        overdue = await figures(client, f"{p.url}/v1/cases/overdue")
        enforcement = await figures(client, f"{p.url}/v1/stats/enforcement")

        async with async_playwright() as playwright:
            browser = await launch(playwright)
            try:
                page = await browser.new_page(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
                sent: list[Request] = []
                page.on("request", lambda request: sent.append(request))
                await page.goto(f"{p.url}/#token={viewer}")
                await page.wait_for_selector("body[data-loaded]", timeout=TIMEOUT_MS)
                assert "token" not in page.url, "the token leaves the address bar once kept for the session"
                api_calls = [r for r in sent if "/v1/" in r.url]
                assert api_calls and {(await r.all_headers()).get("authorization") for r in api_calls} == {
                    f"Bearer {viewer}"
                }
                assert sent and not [r.url for r in sent if viewer in r.url or "token=" in r.url]

                # the figures are the API's
                for figure in ("all", "closed", "on_schedule", "overdue", "reopened"):
                    key = "total" if figure == "all" else figure
                    await expect(page.locator(f'.kpi [data-figure="{figure}"]')).to_have_text(f"{totals[key]}件")
                await expect(page.locator('.kpi [data-figure="rate"]')).to_have_text(f"{totals['rate_percent']}%")
                await expect(page.locator('[data-figure="fines_issued_yuan"]')).to_contain_text(
                    grouped(enforcement["totals"]["fines_issued_yuan"])
                )
                overdue_rows = page.locator("#overdue-list tbody tr")
                await expect(overdue_rows).to_have_count(overdue["total"])
                assert {await row.get_attribute("data-issue") for row in await overdue_rows.all()} == {
                    item["issue_id"] for item in overdue["items"]
                }
                await expect(page.locator("#chart-source canvas")).to_have_count(1)
                await expect(page.locator("#chart-trend canvas")).to_have_count(1)

                # a bar opens the cases it stands for
                by_source = await figures(client, f"{p.url}/v1/stats/closure-rates?group_by=source")
                index, row = next((n, r) for n, r in enumerate(by_source["rows"]) if r["closed"])
                title = f"问题来源：{row['label']} · 已销号"
                await click_bar(page, "chart-source", [row["closed"] / 2, index], title)
                await expect(page.locator("#drawer-title")).to_have_text(title)
                await expect(page.locator("#list-total")).to_have_text(f"共{row['closed']}件")
                await page.locator("#drawer-close").click()
                await expect(page.locator("#drawer")).to_be_hidden()

                # a figure opens the cases behind it, a case its timeline
                await page.locator('.kpi [data-figure="overdue"]').click()
                await expect(page.locator("#list-total")).to_have_text(f"共{overdue['total']}件")
                listed = page.locator("#case-list tbody tr")
                await expect(listed).to_have_count(overdue["total"])
                first = overdue["items"][0]
                await page.locator(f'#case-list a[data-case="{first["issue_id"]}"]').click()
                timeline = await figures(client, f"{p.url}/v1/cases/{first['issue_id']}/timeline")
                events = page.locator("#timeline li")
                await expect(events).to_have_count(len(timeline["events"]))
                assert [await li.get_attribute("data-type") for li in await events.all()] == [
                    event["type"] for event in timeline["events"]
                ]
                assert "DeadlineMissed" in [event["type"] for event in timeline["events"]]

                # text typed by the public stays text
                await page.goto(f"{p.url}/#/list?api=%2Fv1%2Fstats%2Fclosure-rates%2Fcases%3Ffigure%3Dall&title=all")
                await expect(page.locator("#case-list")).to_contain_text(HOSTILE_TITLE)
                await expect(page.locator("#case-list img, #case-list script")).to_have_count(0)
                assert await page.evaluate("window.__pwned") is None

                await page.goto(f"{p.url}/")
                await page.wait_for_selector("body[data-loaded]", timeout=TIMEOUT_MS)
                shot = tmp_path / "dashboard.png"
                await page.screenshot(path=str(shot), full_page=True)
                assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000
            finally:
                await browser.close()


async def test_without_a_token_or_with_a_rejected_one_the_page_asks_for_a_token(make_settings: SettingsFactory) -> None:
    """The page itself needs no token; the API answering 401 makes it say so in Chinese and forget the token."""
    settings = make_settings(ProjectionsSettings, port=free_port())
    async with service_processes(("services.projections", settings)) as (p,), async_playwright() as playwright:
        browser = await launch(playwright)
        try:
            page = await browser.new_page(locale="zh-CN")
            await page.goto(f"{p.url}/")
            await expect(page.locator("#notice")).to_be_visible()
            await expect(page.locator("#notice-text")).to_contain_text("本页需要身份凭证")
            await expect(page.locator("#token-form")).to_be_visible()

            async def refuse(route: Route) -> None:
                body = {"error": {"code": "token_expired", "message": "登录已过期，请重新登录"}}
                await route.fulfill(status=401, content_type="application/json", body=json.dumps(body))

            await page.route("**/v1/**", refuse)
            await page.goto(f"{p.url}/#token=expired-token")
            await expect(page.locator("#notice-text")).to_contain_text("身份凭证无效或已过期（登录已过期，请重新登录）")
            assert await stored_token(page) is None
        finally:
            await browser.close()


async def test_a_token_in_the_query_is_never_used_and_leaves_the_address_bar(make_settings: SettingsFactory) -> None:
    """An old `?token=` link has already carried the token to the server: the page says so and asks for another."""
    settings = make_settings(ProjectionsSettings, port=free_port())
    viewer = issue_token(subject="e2e-viewer", role=Role.VIEWER)
    async with service_processes(("services.projections", settings)) as (p,), async_playwright() as playwright:
        browser = await launch(playwright)
        try:
            page = await browser.new_page(locale="zh-CN")
            sent: list[Request] = []
            page.on("request", lambda request: sent.append(request))
            await page.goto(f"{p.url}/?token={viewer}#/list?api=%2Fv1%2Fcases%2Foverdue")
            await expect(page.locator("#notice-text")).to_contain_text("本页不使用这样的凭证")
            await expect(page.locator("#notice-text")).to_contain_text("#token=")
            await expect(page.locator("#token-form")).to_be_visible()
            assert "token" not in page.url and page.url.endswith("#/list?api=%2Fv1%2Fcases%2Foverdue")
            assert await stored_token(page) is None
            assert not [r.url for r in sent if "/v1/" in r.url], "nothing is asked of the API with that token"

            # the form takes a token, and the page then reads the figures with it
            await page.locator("#token-input").fill(viewer)
            await page.locator("#token-form button").click()
            await page.wait_for_selector("body[data-loaded]", timeout=TIMEOUT_MS)
            assert await stored_token(page) == viewer
            await expect(page.locator("#list-total")).to_have_text("共0件")
        finally:
            await browser.close()


async def click_bar(page: Page, chart: str, value: list[float], title: str) -> None:
    """Clicks where ECharts draws `value` (in the chart's own coordinates) until the drill-down `title` opens.

    While the first drawing still grows the bars from zero, the same spot is the group's background,
    which opens the whole group instead: that drawer is closed and the click tried again.
    """
    box = await page.locator(f"#{chart}").bounding_box()
    assert box is not None
    for _ in range(20):
        x, y = await page.evaluate(
            "([id, value]) => echarts.getInstanceByDom(document.getElementById(id))"
            ".convertToPixel({seriesIndex: 0}, value)",
            [chart, value],
        )
        await page.mouse.click(box["x"] + x, box["y"] + y)
        if await page.locator("#drawer").is_visible():
            if await page.locator("#drawer-title").text_content() == title:
                return
            await page.locator("#drawer-close").click()
        await page.wait_for_timeout(250)
    raise AssertionError(f"no drill-down {title!r} opened by clicking {value} in {chart}")


async def stored_token(page: Page) -> str | None:
    token: str | None = await page.evaluate("sessionStorage.getItem('county-env-dashboard-token')")
    return token


def grouped(amount: str) -> str:
    """1804985.94 → 1,804,985.94, as the page writes yuan."""
    whole, _, fraction = amount.partition(".")
    return f"{int(whole):,}.{(fraction + '00')[:2]}"
