"""不予公开 through the workbench in Debian's Chromium, and the public page (信息公开) that follows it.

The responsible unit opens its assigned case, which the public page lists; a reason left empty is refused beside
its field and changes nothing; with a reason the case is withheld, the page says so and gives the reason, and neither
the public page (a browser with no sign-in) nor its JSON lists the case any more, while another case stays listed.
The unit is offered no 恢复公开, and the cases service refuses it one in Chinese (403). 督察办 publishes the case again
with a reason, and the public page lists it once more. intake, cases and projections run as processes of their own
behind the real proxy; every token is Keycloak's.
"""

from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Locator, Page, expect

from services.cases.settings import CasesSettings
from services.intake.settings import IntakeSettings
from services.projections.settings import ProjectionsSettings
from shared import identity
from shared.auth import Role
from shared.signin import SignInSettings, signed_in
from tests.conftest import SettingsFactory
from tests.e2e.test_workbench_session import UNIT, assigned_case
from tests.integration.projections.support import eventually
from tests.support.keycloak import Keycloak
from tests.support.service import free_port
from tests.support.workbench import field, signed_in_page, workbench_with

WITHHELD_BECAUSE = "涉及正在侦办的环境违法案件，公开可能影响调查"
PUBLISHED_BECAUSE = "案件已侦办终结，可以公开"
OTHER = {
    "source": "self_inspection",
    "title": "河口镇码头扬尘",
    "description": "码头堆场未苫盖",
    "township": "河口镇",
    "domain": "air",
    "location": {"address": "河口镇老码头"},
}
# The page's public JSON, through the proxy as the public page reads it (no token).
PUBLIC_PROBLEMS = "/api/projections/v1/public/problems"

pytestmark = pytest.mark.usefixtures("patient_assertions")


def disclosure_card(page: Page) -> Locator:
    return page.locator(".el-card", has=page.locator(".el-card__header", has_text="信息公开"))


def recorded(page: Page, reason: str) -> Locator:
    """The entry of the case's 办理记录 that gives `reason`."""
    return page.locator(".history .el-timeline-item", has_text=reason)


async def public_ids(public: httpx.AsyncClient) -> set[str]:
    answer: dict[str, Any] = (await public.get(PUBLIC_PROBLEMS)).json()
    return {item["case_id"] for item in answer["items"]}


async def shows_publicly(browser: Browser, origin: str, listed: str, unlisted: str | None = None) -> None:
    """The public page in a browser of nobody's (no sign-in) lists `listed` and not `unlisted`."""
    context = await browser.new_context(locale="zh-CN")
    try:
        page = await context.new_page()
        await page.goto(f"{origin}/public/")
        await page.wait_for_selector("body[data-loaded]")
        await expect(page.locator(f'#problem-list .card[data-case="{listed}"]')).to_have_count(1)
        if unlisted is not None:
            await expect(page.locator(f'#problem-list .card[data-case="{unlisted}"]')).to_have_count(0)
            assert unlisted not in await page.content()
    finally:
        await context.close()


async def test_the_unit_withholds_its_case_from_the_public_page_and_the_office_publishes_it_again(
    keycloak: Keycloak, dev_sign_in: SignInSettings, make_settings: SettingsFactory, topics: list[str]
) -> None:
    passwords = identity.read_passwords(dev_sign_in.dev_users_file)
    intake = make_settings(IntakeSettings, port=free_port(), oidc_issuer=keycloak.issuer)
    cases = make_settings(CasesSettings, port=free_port(), oidc_issuer=keycloak.issuer)
    projections = make_settings(ProjectionsSettings, port=free_port(), oidc_issuer=keycloak.issuer)
    intake_url, cases_url = f"http://127.0.0.1:{intake.port}", f"http://127.0.0.1:{cases.port}"
    services = (("services.intake", intake), ("services.cases", cases), ("services.projections", projections))
    async with workbench_with(keycloak, *services) as (origin, browser):
        office = signed_in(Role.INSPECTION_OFFICE, settings=dev_sign_in)
        async with (
            httpx.AsyncClient(timeout=30, auth=office) as as_office,
            httpx.AsyncClient(base_url=origin, timeout=30) as public,
        ):
            case_id = await assigned_case(as_office, intake_url, cases_url)
            reported = await as_office.post(f"{intake_url}/v1/reports", json=OTHER)
            assert reported.status_code == 202, reported.text
            other_id = reported.json()["issue_id"]
            await eventually(lambda: public_ids(public), lambda ids: {case_id, other_id} <= ids, "both cases public")
            await shows_publicly(browser, origin, case_id)

            # The unit on its case: 不予公开 offered, and first sent with no reason.
            path = f"/#/cases/{case_id}"
            _, page = await signed_in_page(browser, origin, path, "dev-unit-1", passwords["dev-unit-1"])
            card = disclosure_card(page)
            await expect(card).to_contain_text("不予公开后，信息公开页面（/public/）不再列出该案件")
            version = (await as_office.get(f"{cases_url}/v1/cases/{case_id}")).json()["version"]
            await card.get_by_role("button", name="不予公开", exact=True).click()
            reason = field(page, "不予公开的理由")
            await expect(reason.locator(".el-form-item__error")).to_have_text("至少 1 个字")
            await expect(page.locator(".el-message--error")).to_contain_text("请按红字提示修改")
            unchanged = (await as_office.get(f"{cases_url}/v1/cases/{case_id}")).json()
            assert (unchanged["version"], unchanged["confidential"]) == (version, False)
            await expect(page.locator(".facts .confidential")).to_have_count(0)

            await reason.locator("textarea").fill(WITHHELD_BECAUSE)
            await card.get_by_role("button", name="不予公开", exact=True).click()
            await expect(page.locator(".el-message--success")).to_contain_text("已设为不予公开")
            facts = page.locator(".facts")
            await expect(facts.locator(".confidential")).to_have_text("不予公开")
            await expect(facts).to_contain_text(f"第 {version + 1} 版")
            await expect(facts.locator("tr", has_text="不予公开理由")).to_contain_text(WITHHELD_BECAUSE)
            await expect(recorded(page, WITHHELD_BECAUSE).locator("strong")).to_have_text("不予公开")

            # Off the public page and its JSON; the other case stays.
            await eventually(lambda: public_ids(public), lambda ids: case_id not in ids, "the case withheld")
            assert other_id in await public_ids(public)
            await shows_publicly(browser, origin, other_id, unlisted=case_id)

            # The unit cannot publish it again: no card on its page, and the service says why in Chinese.
            await expect(disclosure_card(page)).to_have_count(0)
            refused = await public.post(
                f"/api/cases/v1/cases/{case_id}/confidentiality",
                json={"confidential": False, "reason": "整改已完成"},
                headers={"If-Match": str(version + 1)},
                auth=signed_in(Role.UNIT, UNIT, settings=dev_sign_in),
            )
            assert refused.status_code == 403, refused.text
            assert refused.json()["error"]["message"] == "恢复公开须由督察办办理；责任单位只能申请不予公开"

            # 督察办 publishes it again, with a reason.
            _, desk = await signed_in_page(
                browser, origin, path, "dev-inspection-office", passwords["dev-inspection-office"]
            )
            await expect(desk.locator(".facts .confidential")).to_have_text("不予公开")
            card = disclosure_card(desk)
            await expect(card).to_contain_text("恢复公开后，信息公开页面重新列出该案件")
            await field(desk, "恢复公开的理由").locator("textarea").fill(PUBLISHED_BECAUSE)
            await card.get_by_role("button", name="恢复公开", exact=True).click()
            await expect(desk.locator(".el-message--success")).to_contain_text("已恢复公开")
            await expect(desk.locator(".facts")).to_contain_text(f"第 {version + 2} 版")
            await expect(desk.locator(".facts .confidential")).to_have_count(0)
            await expect(disclosure_card(desk).get_by_role("button", name="不予公开", exact=True)).to_be_visible()
            await expect(recorded(desk, PUBLISHED_BECAUSE).locator("strong")).to_have_text("恢复公开")

            await eventually(lambda: public_ids(public), lambda ids: case_id in ids, "the case published again")
            await shows_publicly(browser, origin, case_id)
