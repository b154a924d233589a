"""信息公开 in a real browser (Debian's Chromium, headless, driven by Playwright) on a phone-sized screen, through the
one address (the real proxy), with no sign-in.

Problems reported through intake become cases and are listed with their public fields; filtering per source narrows
the list; a case in 公示 shows its notice, and an objection filed from its form is checked on the page (too short),
accepted by intake (ObjectionFiled on intake.events) and, past the address's limit, refused with intake's reason.
The case is put in 公示 in projections' read model directly (tests/integration/projections/support.py): the command
that starts a 公示 is the closure procedure's (another change).
"""

from datetime import timedelta
from typing import Any

import httpx
from playwright.async_api import ViewportSize, async_playwright, expect

from demo.browser import launch
from services.cases.settings import CasesSettings
from services.intake.settings import IntakeSettings
from services.projections.read_tables import public
from services.projections.settings import ProjectionsSettings
from shared.auth import Role
from shared.clock import now
from shared.contracts.intake import ObjectionFiled
from tests.conftest import SettingsFactory
from tests.e2e.test_proxy import proxy
from tests.integration.projections.support import eventually, record_facts, set_status
from tests.support.issuer import issue_token
from tests.support.kafka import wait_for_events
from tests.support.service import free_port, service_processes

PHONE: ViewportSize = {"width": 390, "height": 844}
TIMEOUT_MS = 20_000
HOSTILE_TITLE = '<img src=x onerror="window.__pwned=1">偷排'

REPORTS: list[dict[str, Any]] = [
    {
        "source": "central_inspection",
        "batch": "第三轮中央环保督察",
        "title": "河道非法采砂",
        "domain": "quarrying_sand",
    },
    {"source": "central_inspection", "batch": "第三轮中央环保督察", "title": "砖厂粉尘排放", "domain": "brick_tile"},
    {"source": "hotline_12369", "title": "养殖场污水直排", "domain": "livestock_aquaculture"},
    {"source": "mailbox", "title": HOSTILE_TITLE, "domain": "water"},
]


async def test_the_public_page_on_a_phone_lists_problems_and_files_an_objection(
    make_settings: SettingsFactory, topics: list[str]
) -> None:
    intake = make_settings(IntakeSettings, port=free_port(), public_rate_limit="1/hour", trusted_proxies="127.0.0.1")
    projections = make_settings(ProjectionsSettings, port=free_port())
    services = (
        ("services.intake", intake),
        ("services.cases", make_settings(CasesSettings, port=free_port())),
        ("services.projections", projections),
    )
    office = issue_token(subject="e2e-office", role=Role.INSPECTION_OFFICE, ttl=timedelta(hours=1))
    async with service_processes(*services) as processes:
        with proxy(processes) as base:
            async with httpx.AsyncClient(base_url=base, timeout=30) as client:
                for report in REPORTS:
                    body = {"description": "来电反映，附近居民张三 13912345678", "township": "城关镇", **report}
                    sent = await client.post(
                        "/api/intake/v1/reports", json=body, headers={"Authorization": f"Bearer {office}"}
                    )
                    assert sent.status_code == 202, sent.text

                async def listed() -> dict[str, Any]:
                    answer: dict[str, Any] = (await client.get("/api/projections/v1/public/problems")).json()
                    return answer

                problems = await eventually(listed, lambda a: a.get("total") == len(REPORTS), "4 cases", 60)
                noticed = next(i for i in problems["items"] if i["title"] == "河道非法采砂")["case_id"]
                starts = now().replace(microsecond=0)
                notice = {"starts": starts.isoformat(), "ends": (starts + timedelta(days=5)).isoformat()}
                await record_facts(
                    projections, [(public.NOTICE_STARTED, noticed, 50, {**notice, "summary": "砂场已拆除，河岸已复绿"})]
                )
                await set_status(projections, noticed, "in_notice")

            async with async_playwright() as playwright:
                browser = await launch(playwright)
                try:
                    page = await browser.new_page(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
                    await page.goto(f"{base}/public/")
                    await page.wait_for_selector("body[data-loaded]", timeout=TIMEOUT_MS)
                    cards = page.locator("#problem-list .card")
                    await expect(cards).to_have_count(len(REPORTS))
                    await expect(page.locator("#problems-status")).to_have_text(f"共 {len(REPORTS)} 个问题")
                    # typed by the public, shown as text, run never; no reporter, no description
                    await expect(cards.filter(has_text="偷排").locator(".title")).to_have_text(HOSTILE_TITLE)
                    assert await page.evaluate("window.__pwned === undefined")
                    assert "13912345678" not in await page.content() and "张三" not in await page.content()
                    # readable on the phone: nothing wider than the screen
                    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

                    await page.select_option("#filter-source", "central_inspection")
                    await expect(cards).to_have_count(2)
                    await expect(page.locator("#filter-batch option")).to_have_count(2)

                    card = page.locator(f'#notice-list .card[data-case="{noticed}"]')
                    await expect(card.locator(".summary-text")).to_have_text("砂场已拆除，河岸已复绿")
                    await expect(card.locator(".period")).to_contain_text(" 至 ")
                    await expect(page.locator("#objection-note")).to_contain_text("异议将转督察办核查")
                    text = card.locator("textarea")
                    button = card.get_by_role("button", name="提交异议")
                    message = card.locator(".message")

                    await text.fill("不行")
                    await button.click()
                    await expect(message).to_have_text("异议内容至少 5 个字")

                    await text.fill("河岸并未复绿，夜间仍有采砂船")
                    await button.click()
                    await expect(message).to_contain_text("异议已收到，将转督察办核查")

                    await text.fill("再补充一点：砂场设备仍在原地")
                    await button.click()
                    await expect(message).to_contain_text("提交过于频繁")
                finally:
                    await browser.close()

    published = await wait_for_events(intake.broker, intake.topic("intake.events"), len(REPORTS) + 1)
    objections = [e.payload for e in published if isinstance(e.payload, ObjectionFiled)]
    assert [(o.case_id, o.text) for o in objections] == [(noticed, "河岸并未复绿，夜间仍有采砂船")]
