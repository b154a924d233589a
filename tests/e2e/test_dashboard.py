"""The dashboard in a real browser (Debian's Chromium, headless, driven by Playwright) against the services.

A county leader signs in at the tests' Keycloak (authorization code with PKCE) behind the real proxy and at
projections' own port, sees the closure rate move when a case is closed, and signs out. The figures themselves are
checked on a short county year played through the services' HTTP APIs (the demo's own player), with the tests'
issuer: there the page is handed the session a sign-in would have left in the tab (demo.browser.hand_session), and
must show the figures the API gives, open the cases behind a figure, and each case's timeline. No request the page
makes carries the token anywhere but its Authorization header.
"""

import asyncio
import dataclasses
import json
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from playwright.async_api import Page, Request, async_playwright, expect

from demo.browser import hand_session, launch
from demo.client import County, Urls
from demo.main import caught_up
from demo.plan import Fate, plan_year
from demo.play import Pace, Player
from services.accountability.settings import AccountabilitySettings
from services.cases.settings import CasesSettings
from services.enforcement.settings import EnforcementSettings
from services.intake.settings import IntakeSettings
from services.projections.settings import ProjectionsSettings
from shared import identity
from shared.auth import Role
from shared.clock import SHANGHAI, now
from shared.signin import SignInSettings, signed_in
from tests.conftest import SettingsFactory
from tests.e2e.test_proxy import proxy
from tests.support.documents import opened
from tests.support.issuer import Bearer, issue_token, people
from tests.support.keycloak import Keycloak
from tests.support.service import free_port, service_processes
from tests.support.workbench import redirects_allowed

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
    viewer = issue_token(subject="e2e-viewer", role=Role.VIEWER, ttl=timedelta(hours=1))
    async with (
        service_processes(*services) as (i, c, e, a, p),
        httpx.AsyncClient(timeout=15, headers={"Authorization": f"Bearer {viewer}"}) as client,
    ):
        urls = Urls(i.url, c.url, e.url, a.url, p.url)
        year = short_year()
        player = Player(
            County(urls, people, client, concurrency=8), year, Pace(month_seconds=0.2, deadline_seconds=3.0)
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
                await hand_session(page, p.url, viewer)
                await page.goto(f"{p.url}/")
                await page.wait_for_selector("body[data-loaded]", timeout=TIMEOUT_MS)
                await expect(page.locator("#who")).to_have_text("e2e-viewer · 查看人员")
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

                # the work report downloads as a Word document stating the text shown (with the token, no link)
                summary = await figures(client, f"{p.url}/v1/reports/work-summary")
                async with page.expect_download() as downloading:
                    await page.locator("#download-work-summary").click()
                download = await downloading.value
                assert download.suggested_filename.startswith("工作汇报-") and download.suggested_filename.endswith(
                    ".docx"
                )
                saved = tmp_path / "work-summary.docx"
                await download.save_as(saved)
                assert set(summary["paragraphs"]) <= set(opened(saved.read_bytes()).paragraphs)

                # the year's issued 督查通报 (the demo's 督察办 issues one) downloads from the 工作文书 panel
                this_year = now().astimezone(SHANGHAI).year
                bulletins = await figures(client, f"{p.url}/v1/documents/bulletins?year={this_year}")
                issued = bulletins["items"][0]["content"]
                async with page.expect_download() as downloading:
                    await page.locator(f'#documents-figures [data-bulletin="{this_year}-{issued["number"]}"]').click()
                download = await downloading.value
                assert download.suggested_filename == f"督查通报-{this_year}年第{issued['number']}期.docx"
                await download.save_as(saved := tmp_path / "bulletin.docx")
                bulletin = opened(saved.read_bytes())
                assert bulletin.paragraphs[1] == issued["bulletin_no"] and issued["text"] in bulletin.paragraphs
                await page.evaluate("window.scrollTo(0, 0)")  # the button is at the bottom; the charts, at the top

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

                # 专项整治组 and 绩效考核: the API's rows, a score opens the events behind its deductions
                await page.goto(f"{p.url}/")
                await page.wait_for_selector("body[data-loaded]", timeout=TIMEOUT_MS)
                forces = await figures(client, f"{p.url}/v1/stats/task-forces")
                force_rows = page.locator("#task-force-list tbody tr")
                await expect(force_rows).to_have_count(len(forces["rows"]))
                assert [await row.get_attribute("data-task-force") for row in await force_rows.all()] == [
                    row["key"] for row in forces["rows"]
                ]
                ranking = await figures(client, f"{p.url}/v1/stats/assessment")
                await expect(page.locator("#assessment-list tbody tr")).to_have_count(len(ranking["rows"]))
                lowest = ranking["rows"][-1]
                scored = await figures(client, f"{p.url}{lowest['items']}")
                await page.locator(f'#assessment-list tr[data-unit="{lowest["unit"]}"] a.num').click()
                await expect(page.locator("#assessment-items tbody tr")).to_have_count(len(scored["items"]))
                await expect(page.locator("#list-total")).to_contain_text(f"计分事项共{scored['total']}项")
                await page.locator("#drawer-close").click()

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


async def test_a_county_leader_signs_in_at_keycloak_and_sees_the_closure_rate_move(
    make_settings: SettingsFactory, topics: list[str], keycloak: Keycloak, dev_sign_in: SignInSettings
) -> None:
    """Behind the proxy (/dashboard/) and at projections' own root, each the page's own redirect; then signs out."""
    issuer = {"oidc_issuer": keycloak.issuer}
    services = (
        ("services.intake", make_settings(IntakeSettings, port=free_port(), **issuer)),
        ("services.cases", make_settings(CasesSettings, port=free_port(), **issuer)),
        ("services.projections", make_settings(ProjectionsSettings, port=free_port(), **issuer)),
    )
    leader = identity.DevUser("e2e-dashboard-leader", Role.LEADER, None)
    office = signed_in(Role.INSPECTION_OFFICE, settings=dev_sign_in)
    unit = signed_in(Role.UNIT, "城关镇人民政府", dev_sign_in)
    sign_in = f"{keycloak.issuer}/protocol/openid-connect/auth"
    async with service_processes(*services) as (i, c, p), httpx.AsyncClient(timeout=15) as client:
        urls = Urls(i.url, c.url, "", "", p.url)
        reported = await client.post(
            f"{i.url}/v1/reports",
            json={"source": "mailbox", "title": "河道非法采砂", "description": "夜间采砂", "township": "城关镇"}
            | {"domain": "quarrying_sand"},
        )
        assert reported.status_code == 202, reported.text
        case = f"{c.url}/v1/cases/{reported.json()['issue_id']}"
        before = await caught_up(client, urls, office, 1, timeout=60)
        for _ in range(100):  # cases opens it from intake.events
            if (await client.get(case, auth=office)).status_code == 200:
                break
            await asyncio.sleep(0.2)
        with (
            proxy([p]) as front,
            redirects_allowed(keycloak, front),
            redirects_allowed(keycloak, p.url),
        ):
            with identity.admin_client(keycloak.url, keycloak.admin_password) as admin:
                password = identity.ensure_user(admin, leader, None)
            async with async_playwright() as playwright:
                browser = await launch(playwright)
                try:
                    page = await browser.new_page(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
                    page.set_default_timeout(TIMEOUT_MS)
                    await page.goto(f"{front}/dashboard/")
                    await page.wait_for_url(f"{sign_in}?**")
                    asked = parse_qs(urlsplit(page.url).query)
                    assert asked["client_id"] == ["workbench"] and asked["code_challenge_method"] == ["S256"]
                    assert asked["redirect_uri"] == [f"{front}/dashboard/"]
                    await page.fill("#username", leader.username)
                    await page.fill("#password", password)
                    await page.click("#kc-login")
                    await page.wait_for_url(f"{front}/dashboard/")
                    await page.wait_for_selector("body[data-loaded]")
                    await expect(page.locator("#who")).to_have_text("e2e-dashboard-leader · 县领导")
                    rate = page.locator('.kpi [data-figure="rate"]')
                    await expect(rate).to_have_text(f"{before['rate_percent']}%")
                    await expect(page.locator('.kpi [data-figure="closed"]').first).to_have_text("0件")

                    # 交办 → 申请销号 → 验收: the rate moves on the page the leader has open
                    assign = {
                        "problem": "河道两岸被挖空",
                        "task": "清理采砂设备，恢复河岸",
                        "unit": "城关镇人民政府",
                        "leader": {"name": "王建国", "post": "城关镇党委书记"},
                        "deadline_working_days": 10,
                        "measures": "按期完成通报表扬，逾期约谈",
                    }
                    assigned = await client.post(f"{case}/assign", json=assign, auth=office)
                    assert assigned.status_code == 200, assigned.text
                    report = {"file": ("整改报告.pdf", b"%PDF-1.4\n%%EOF\n")}  # 佐证材料 are uploaded, then named
                    stored = (await client.post(f"{case}/evidence", files=report, auth=unit)).json()
                    evidence = {
                        "description": "整改后现场照片",
                        "file_name": stored["file_name"],
                        "sha256": stored["sha256"],
                    }
                    for path, auth, body in (
                        ("request-closure", unit, {"summary": "设备已清理", "evidence": [evidence]}),
                        ("verify", office, {"passed": True, "verifier": "县生态环境局 李娜", "note": "已整改"}),
                    ):
                        answer = await client.post(f"{case}/{path}", json=body, auth=auth)
                        assert answer.status_code == 200, answer.text
                    after = await closed(client, urls, office)
                    assert after["rate_percent"] != before["rate_percent"]
                    await page.get_by_role("button", name="立即刷新").click()
                    await expect(rate).to_have_text(f"{after['rate_percent']}%")

                    # projections' own root is the other redirect; the sign-in at Keycloak is still on
                    asked_there: list[str] = []
                    page.on("request", lambda r: asked_there.append(r.url) if r.url.startswith(sign_in) else None)
                    await page.goto(f"{p.url}/")
                    await page.wait_for_selector("body[data-loaded]")
                    await expect(rate).to_have_text(f"{after['rate_percent']}%")
                    assert [parse_qs(urlsplit(url).query)["redirect_uri"] for url in asked_there] == [[f"{p.url}/"]]
                    assert "code=" not in page.url and "state=" not in page.url

                    await page.get_by_role("button", name="退出登录").click()
                    await page.wait_for_url(f"{sign_in}?**")
                finally:
                    await browser.close()


async def closed(client: httpx.AsyncClient, urls: Urls, auth: httpx.Auth) -> dict[str, Any]:
    """The county's totals once projections counts the one case closed."""
    for _ in range(120):
        totals = await caught_up(client, urls, auth, 1, timeout=30)
        if totals["closed"] == 1:
            return totals
        await asyncio.sleep(0.5)
    raise AssertionError("projections never counted the case closed")


async def test_a_role_that_may_not_read_the_figures_is_told_so_and_may_sign_out(make_settings: SettingsFactory) -> None:
    """The public sees a Chinese message and 退出登录 instead of a board; a unit sees its own figures, and the county's
    enforcement figures, which are not its to read, say so in their place."""
    settings = make_settings(ProjectionsSettings, port=free_port())
    public = issue_token(subject="e2e-public", role=Role.PUBLIC, ttl=timedelta(hours=1))
    unit = issue_token(subject="e2e-unit", role=Role.UNIT, unit="城关镇人民政府", ttl=timedelta(hours=1))
    async with service_processes(("services.projections", settings)) as (p,), async_playwright() as playwright:
        browser = await launch(playwright)
        try:
            page = await browser.new_page(locale="zh-CN")
            await hand_session(page, p.url, public)
            await page.goto(f"{p.url}/")
            await expect(page.locator("#notice-text")).to_contain_text("当前账号（e2e-public · 公众）无权查看统计大屏")
            await expect(page.locator("#board")).to_be_hidden()
            await expect(page.locator("#notice-sign-out")).to_be_visible()
            # the tests' issuer publishes no sign-out endpoint: the page forgets the session and says so
            await page.locator("#notice-sign-out").click()
            await expect(page.locator("#notice-text")).to_contain_text("已在本页退出登录")
            assert await stored_session(page) == []

            page = await browser.new_page(locale="zh-CN")
            await hand_session(page, p.url, unit)
            await page.goto(f"{p.url}/")
            await page.wait_for_selector("body[data-loaded]", timeout=TIMEOUT_MS)
            await expect(page.locator("#notice")).to_be_hidden()
            await expect(page.locator('.kpi [data-figure="all"]')).to_have_text("0件")
            await expect(page.locator("#enforcement-figures")).to_contain_text("无权查看")
            await expect(page.locator("#sign-out")).to_be_visible()
        finally:
            await browser.close()


async def test_without_a_session_the_page_goes_to_sign_in_and_says_so_when_it_cannot(
    make_settings: SettingsFactory,
) -> None:
    """The tests' issuer has no sign-in page (no OpenID metadata): the page says it cannot reach the identity provider
    and offers 重新登录, instead of a blank page."""
    settings = make_settings(ProjectionsSettings, port=free_port())
    async with service_processes(("services.projections", settings)) as (p,), async_playwright() as playwright:
        browser = await launch(playwright)
        try:
            page = await browser.new_page(locale="zh-CN")
            sent: list[str] = []
            page.on("request", lambda request: sent.append(request.url))
            await page.goto(f"{p.url}/")
            await expect(page.locator("#notice-text")).to_contain_text("无法连接统一身份认证")
            await expect(page.locator("#sign-in-again")).to_be_visible()
            assert f"{settings.oidc_issuer}/.well-known/openid-configuration" in sent
            assert not [url for url in sent if "/v1/" in url], "nothing is asked of the API without a sign-in"
        finally:
            await browser.close()


async def test_an_old_link_with_a_token_is_never_used_and_leaves_the_address_bar(
    make_settings: SettingsFactory,
) -> None:
    """`?token=` has already carried a token to the server and `#token=` is no way in any more: both are dropped, the
    page reads with the signed-in session only, and a drill-down in the address is kept."""
    settings = make_settings(ProjectionsSettings, port=free_port())
    viewer = issue_token(subject="e2e-viewer", role=Role.VIEWER, ttl=timedelta(hours=1))
    async with service_processes(("services.projections", settings)) as (p,), async_playwright() as playwright:
        browser = await launch(playwright)
        try:
            page = await browser.new_page(locale="zh-CN")
            sent: list[Request] = []
            page.on("request", lambda request: sent.append(request))
            await hand_session(page, p.url, viewer)
            await page.goto(f"{p.url}/?token=from-the-query#token=from-the-fragment")
            await page.wait_for_selector("body[data-loaded]", timeout=TIMEOUT_MS)
            assert page.url == f"{p.url}/"
            await page.goto(f"{p.url}/?token=from-the-query#/list?api=%2Fv1%2Fcases%2Foverdue")
            await expect(page.locator("#list-total")).to_have_text("共0件")
            assert page.url == f"{p.url}/#/list?api=%2Fv1%2Fcases%2Foverdue"
            # only the page's own address carried it (typed by the person); the page sends it nowhere
            assert not [r.url for r in sent if "from-the" in r.url and not r.is_navigation_request()]
            calls = [r for r in sent if "/v1/" in r.url]
            assert calls and {(await r.all_headers()).get("authorization") for r in calls} == {f"Bearer {viewer}"}
            assert "from-the" not in json.dumps(await stored_session(page))
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


async def stored_session(page: Page) -> list[str]:
    """What oidc-client-ts keeps in the tab: the signed-in user's entry (`oidc.user:…`), if any."""
    kept: list[str] = await page.evaluate(
        "Object.keys(sessionStorage).filter((k) => k.startsWith('oidc.user:')).map((k) => sessionStorage.getItem(k))"
    )
    return kept


def grouped(amount: str) -> str:
    """1804985.94 → 1,804,985.94, as the page writes yuan."""
    whole, _, fraction = amount.partition(".")
    return f"{int(whole):,}.{(fraction + '00')[:2]}"
