"""One problem through the whole loop in the workbench, by four people in turn, in Debian's Chromium.

督察办 assigns it with the 五定; the responsible unit reports progress and requests closure with a photo; 督察办 fails
the first verification (from a second, stale page the same verification gets the 409 message) and passes the
second; the county leader sees the closure rate move on the dashboard. Another unit sees none of this unit's cases.
Every request goes through the real proxy to intake, cases and projections as processes of their own, with tokens
from the tests' Keycloak: nothing is signed by the test.

WORKBENCH_SCREENSHOT=<path> also keeps the unit's page at phone width (390 px) there (`make workbench-screenshot`
writes docs/workbench-unit-phone.png).
"""

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from playwright.async_api import Download, Page, async_playwright, expect
from playwright.async_api import TimeoutError as PlaywrightTimeout

from demo.browser import launch
from services.cases.settings import CasesSettings
from services.intake.settings import IntakeSettings
from services.projections.settings import ProjectionsSettings
from shared import identity
from shared.auth import Role
from shared.signin import SignInSettings, signed_in
from tests.conftest import SettingsFactory
from tests.support.documents import opened as opened_document
from tests.support.keycloak import Keycloak
from tests.support.service import free_port, service_processes
from tests.support.workbench import DIST, TIMEOUT_MS, choose, field, proxy_serving, redirects_allowed, signed_in_page

UNIT, OTHER_UNIT = identity.DEV_UNITS[0], identity.DEV_UNITS[1]
PHONE = {"width": 390, "height": 844}


pytestmark = pytest.mark.usefixtures("patient_assertions")


def problem(title: str, township: str, domain: str, address: str) -> dict[str, Any]:
    return {
        "source": "central_inspection",
        "title": title,
        "description": f"{title}，群众多次反映",
        "township": township,
        "domain": domain,
        "location": {"address": address},
        "batch": "第三轮中央环保督察",
    }


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "not within the time allowed"
        await asyncio.sleep(0.3)


async def assign(page: Page, origin: str, title: str, unit: str) -> None:
    await page.goto(f"{origin}/#/office/to-assign")
    await page.locator(".case-card", has_text=title).click()
    await field(page, "具体问题").locator("textarea").fill(f"{title}：两岸建筑垃圾未清运")
    await field(page, "整改目标与措施").locator("textarea").fill("清运全部建筑垃圾，设置围挡，建立巡河制度")
    await choose(page, "责任单位", unit, typed=True)
    await page.get_by_placeholder("姓名").fill("王某某")
    await page.get_by_placeholder("职务，例如：城关镇党委书记").fill("城关镇党委书记")
    await field(page, "奖惩措施").locator("textarea").fill("按期完成通报表扬，逾期约谈")
    await page.get_by_role("button", name="交办", exact=True).click()
    await expect(page.locator(".el-result").get_by_text("已交办", exact=True)).to_be_visible()


async def attach(page: Page, photo: Path) -> None:
    """Picks the photo in the open tab's form; it is uploaded at once and shown from the service."""
    await page.locator('.el-tab-pane:visible input[type="file"]').set_input_files(photo)
    await expect(page.locator(".el-tab-pane:visible .evidence-file img")).to_be_visible()


async def request_closure(page: Page, photo: Path, summary: str) -> None:
    await page.get_by_role("tab", name="申请销号").click()
    await field(page, "整改完成情况").locator("textarea").fill(summary)
    await attach(page, photo)
    await page.get_by_placeholder("这份材料说明什么").fill("整改后现场照片")
    await page.get_by_role("button", name="申请销号", exact=True).click()
    await expect(page.locator(".el-tag", has_text="待验收").first).to_be_visible()


async def test_four_people_run_one_problem_through_the_loop_in_the_workbench(
    keycloak: Keycloak, dev_sign_in: SignInSettings, make_settings: SettingsFactory, topics: list[str], tmp_path: Path
) -> None:
    assert (DIST / "index.html").exists(), "workbench/dist is missing: run make assets"
    passwords = identity.read_passwords(dev_sign_in.dev_users_file)
    office, unit, other_unit, leader = "dev-inspection-office", "dev-unit-1", "dev-unit-2", "dev-leader"
    trusted = {"oidc_issuer": keycloak.issuer}
    intake = make_settings(IntakeSettings, port=free_port(), **trusted)
    cases = make_settings(CasesSettings, port=free_port(), **trusted)
    projections = make_settings(ProjectionsSettings, port=free_port(), **trusted)
    photo = tmp_path / "现场.jpg"
    Image.new("RGB", (64, 48), (40, 120, 60)).save(photo, "JPEG")
    title, other_title = "河西村河道建筑垃圾", "河口镇码头扬尘"

    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    config = {"authority": keycloak.issuer, "client_id": identity.WORKBENCH_CLIENT}
    async with service_processes(
        ("services.intake", intake), ("services.cases", cases), ("services.projections", projections)
    ) as (i, c, p):
        upstreams = {"intake": f"127.0.0.1:{intake.port}", "cases": f"127.0.0.1:{cases.port}"}
        upstreams["projections"] = f"127.0.0.1:{projections.port}"
        as_office = signed_in(Role.INSPECTION_OFFICE, settings=dev_sign_in)
        async with httpx.AsyncClient(timeout=30, auth=as_office) as api:
            ids = []
            for report in (
                problem(title, "城关镇", "water", "城关镇河西村"),
                problem(other_title, "河口镇", "air", "河口镇老码头"),
            ):
                accepted = await api.post(f"{i.url}/v1/reports", json=report)
                assert accepted.status_code == 202, accepted.text
                ids.append(accepted.json()["issue_id"])
            case_id, other_id = ids

            async def opened() -> bool:
                listed = (await api.get(f"{c.url}/v1/cases", params={"status": "reported"})).json()
                return {item["case_id"] for item in listed["items"]} >= set(ids)

            await eventually(opened)
            # The other unit's case is assigned through the API: the browser part is about this unit's.
            other = (await api.get(f"{c.url}/v1/cases/{other_id}")).json()
            assigned = await api.post(
                f"{c.url}/v1/cases/{other_id}/assign",
                headers={"If-Match": str(other["version"])},
                json={
                    "problem": "码头堆场未苫盖",
                    "task": "全部苫盖，道路洒水",
                    "unit": OTHER_UNIT,
                    "leader": {"name": "李某某", "post": "河口镇镇长"},
                    "deadline_working_days": 10,
                    "measures": "逾期约谈",
                },
            )
            assert assigned.status_code == 200, assigned.text

            async def counted(closed: int) -> bool:
                totals = (await api.get(f"{p.url}/v1/stats/closure-rates", params={"group_by": "source"})).json()
                return bool(totals["totals"]["total"] == 2 and totals["totals"]["closed"] == closed)

            await eventually(lambda: counted(0))

        with (
            redirects_allowed(keycloak, origin),
            proxy_serving(config, port, keycloak.url, upstreams),
        ):
            async with async_playwright() as playwright:
                browser = await launch(playwright)
                try:
                    # 督察办 assigns the problem with the 五定.
                    _, office_page = await signed_in_page(
                        browser, origin, "/#/office/to-assign", office, passwords[office]
                    )
                    await assign(office_page, origin, title, UNIT)

                    # The unit, on a phone: its case, and none of the other unit's.
                    _, unit_page = await signed_in_page(
                        browser, origin, "/#/unit/cases", unit, passwords[unit], viewport=PHONE, is_mobile=True
                    )
                    await expect(unit_page.locator(".case-card", has_text=title)).to_be_visible()
                    await expect(unit_page.locator(".case-card", has_text=other_title)).to_have_count(0)
                    width = await unit_page.evaluate("document.documentElement.scrollWidth")
                    assert width <= PHONE["width"], f"the unit's page is {width} px wide on a 390 px phone"
                    if shot := os.environ.get("WORKBENCH_SCREENSHOT"):
                        await expect(unit_page.locator(".case-card .el-tag")).to_have_text("整改中")
                        await unit_page.screenshot(path=shot, full_page=True, animations="disabled")
                    await unit_page.goto(f"{origin}/#/cases/{other_id}")
                    await expect(unit_page.locator(".el-alert")).to_contain_text("未找到")

                    # The other unit sees its own case and not this one.
                    _, other_page = await signed_in_page(
                        browser, origin, "/#/unit/cases", other_unit, passwords[other_unit]
                    )
                    await expect(other_page.locator(".case-card", has_text=other_title)).to_be_visible()
                    await expect(other_page.locator(".case-card", has_text=title)).to_have_count(0)

                    # Progress, then the closure request with a photo.
                    await unit_page.goto(f"{origin}/#/cases/{case_id}")
                    # First the unit's 交办函 (projections writes it, once the 交办 has reached it), with its 五定.
                    letter = await download_letter(unit_page)
                    assert letter.suggested_filename == f"交办函-{case_id}.docx"
                    await letter.save_as(tmp_path / "letter.docx")
                    five = opened_document((tmp_path / "letter.docx").read_bytes()).tables[0]
                    assert five[3] == ["责任单位", UNIT]
                    await unit_page.get_by_role("tab", name="进展反馈").click()
                    await field(unit_page, "进展情况").locator("textarea").fill("已清运建筑垃圾约 60%，围挡已设置")
                    await attach(unit_page, photo)
                    await unit_page.get_by_placeholder("照片说明").fill("清运现场")
                    await unit_page.get_by_role("button", name="提交进展").click()
                    await expect(unit_page.locator(".case-history, .el-timeline")).to_contain_text("60%")
                    # The progress photo, shown in the case's facts from the cases service.
                    await expect(unit_page.locator(".facts .evidence-file img")).to_be_visible()
                    await request_closure(unit_page, photo, "建筑垃圾全部清运，围挡和巡河制度已落实")

                    # 督察办 fails the first verification; a second page it left open is stale and gets the 409.
                    stale = await office_page.context.new_page()
                    stale.set_default_timeout(TIMEOUT_MS)
                    await stale.goto(f"{origin}/#/cases/{case_id}")
                    await expect(stale.get_by_role("button", name="提交验收")).to_be_visible()
                    await office_page.goto(f"{origin}/#/office/to-verify")
                    await office_page.locator(".case-card", has_text=title).click()
                    # The photo to look at, fetched from the cases service with the office's token.
                    evidence = office_page.locator(".facts .evidence-file", has_text="整改后现场照片")
                    await expect(evidence.locator("img")).to_be_visible()
                    shown = await evidence.locator("img").evaluate("img => img.complete && img.naturalWidth")
                    assert shown == 64, "the photo is drawn from the service's bytes (the page's policy allows blob:)"
                    await office_page.get_by_text("不通过（退回整改）").click()
                    await field(office_page, "验收意见").locator("textarea").fill("河道内仍有少量垃圾，需彻底清理")
                    await office_page.get_by_role("button", name="提交验收").click()
                    await expect(office_page.locator(".el-tag", has_text="整改中").first).to_be_visible()
                    await stale.get_by_role("button", name="提交验收").click()
                    await expect(stale.locator(".el-message-box")).to_contain_text("案件已被他人修改")

                    # The leader watches the dashboard while the unit tries again and 督察办 passes it.
                    # The dashboard signs in by itself on the leader's Keycloak session: no second password.
                    _, leader_workbench = await signed_in_page(
                        browser, origin, "/#/leader/overview", leader, passwords[leader]
                    )
                    async with leader_workbench.context.expect_page() as dashboard_tab:
                        await leader_workbench.locator(".menu").get_by_text("统计大屏").click()
                    leader_page = await dashboard_tab.value
                    leader_page.set_default_timeout(TIMEOUT_MS)
                    await leader_page.wait_for_url(f"{origin}/dashboard/**")
                    await expect(leader_page.locator("#who")).to_contain_text("县领导")
                    await expect(leader_page.locator('.kpi [data-figure="rate"]')).to_have_text("0.0%")

                    # Both pages are on the case already: a reload reads it again.
                    await unit_page.reload()
                    await request_closure(unit_page, photo, "河道内垃圾已彻底清理，附清理后照片")
                    await office_page.reload()
                    await office_page.get_by_text("通过（按销号规程").click()
                    await office_page.get_by_role("button", name="提交验收").click()
                    await expect(office_page.locator(".el-tag", has_text="已销号").first).to_be_visible()

                    async def moved() -> bool:
                        await leader_page.get_by_role("button", name="立即刷新").click()
                        rate = await leader_page.locator('.kpi [data-figure="rate"]').text_content()
                        return rate == "50.0%"

                    await eventually(moved)
                finally:
                    await browser.close()


async def download_letter(page: Page) -> Download:
    """Clicks 下载交办函 until the letter comes: before projections has the 交办, the page says it is being made."""
    for _ in range(20):
        try:
            async with page.expect_download(timeout=3_000) as downloading:
                await page.get_by_role("button", name="下载交办函（Word）").click()
            return await downloading.value
        except PlaywrightTimeout:
            await expect(page.locator(".assignment-letter .bad")).to_have_text("交办函正在生成，请稍后再试")
    raise AssertionError("no 交办函 after 20 tries")
