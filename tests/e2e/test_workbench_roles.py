"""The pages of 受理员, 执法人员 and 纪委监委 in Debian's Chromium, each person signed in at the tests' Keycloak in a
browser context of their own, through the real proxy to the service the page calls, run as a process of its own.

受理员 enters a 12369 call with the caller's phone, which stays off the report's page until 查看联系方式 (the read
is then listed), and entering the same 来电编号 again opens nothing new. 执法人员 is stopped before sending a credit
code with a wrong check digit, files a case with a valid one, fines it an exact amount and closes it, while a page
left open on the old version gets the 409 message. 纪委监委 imposes a 诫勉谈话 on a person of 城关镇人民政府,
revokes it with a reason, and finds both in the unit's record. A unit's clerk has none of these pages in the menu,
and the enforcement list opened by its address shows the API's refusal. Nothing is signed by the test: every token
is Keycloak's.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from playwright.async_api import Browser, Locator, Page, Request, expect

from bench.county import publish
from services.accountability.settings import AccountabilitySettings
from services.enforcement.settings import EnforcementSettings
from services.intake.settings import IntakeSettings
from services.projections.settings import ProjectionsSettings
from shared import identity
from shared.clock import SHANGHAI, now
from shared.contracts.accountability import BulletinIssued, UnitStanding
from shared.envelope import Envelope
from shared.settings import ServiceSettings
from shared.signin import SignInSettings
from tests.conftest import SettingsFactory
from tests.support.documents import opened
from tests.support.keycloak import Keycloak
from tests.support.service import free_port
from tests.support.workbench import TIMEOUT_MS, choose, field, signed_in_page, workbench_with

UNIT = identity.DEV_UNITS[0]  # 城关镇人民政府, dev-unit-1's
CALLER_PHONE = "13912345678"
VALID_CODE = "91110108551385082Q"  # workbench/tests/credit-codes.json, valid to the service and the page
WRONG_CHECK_DIGIT = "91110108551385082R"
ROLE_PAGES = ("热线录入", "举报查询", "问责措施", "单位问责记录", "执法案件", "立案")


pytestmark = pytest.mark.usefixtures("patient_assertions")


@dataclass(frozen=True)
class Workbench:
    """The workbench behind the test's proxy, in front of one service, and the development users' passwords."""

    origin: str
    browser: Browser
    passwords: dict[str, str]

    async def signed_in(self, username: str, path: str) -> Page:
        """`username` signed in at Keycloak in a browser context of their own, on `path`."""
        _, page = await signed_in_page(self.browser, self.origin, path, username, self.passwords[username])
        return page


Opening = Callable[[str, type[ServiceSettings]], AbstractAsyncContextManager[Workbench]]


@pytest.fixture
def workbench(
    keycloak: Keycloak, dev_sign_in: SignInSettings, make_settings: SettingsFactory, topics: list[str]
) -> Opening:
    """Opens the workbench in front of the service `module` (settings `kind`), trusting the tests' Keycloak."""
    passwords = identity.read_passwords(dev_sign_in.dev_users_file)

    @contextlib.asynccontextmanager
    async def opening(module: str, kind: type[ServiceSettings]) -> AsyncIterator[Workbench]:
        settings = make_settings(kind, port=free_port(), oidc_issuer=keycloak.issuer)
        async with workbench_with(keycloak, (module, settings)) as (origin, browser):
            yield Workbench(origin, browser, passwords)

    return opening


def card(page: Page, header: str) -> Locator:
    """The card whose header is `header`."""
    return page.locator(".el-card", has=page.locator(".el-card__header", has_text=header))


async def enter_call(page: Page, call_ref: str, title: str) -> None:
    await field(page, "来电编号").locator("input").fill(call_ref)
    await field(page, "问题概要").locator("input").fill(title)
    await field(page, "来电反映的情况").locator("textarea").fill("养殖场夜间向河沟直排污水，气味很大")
    await choose(page, "乡镇", "城关镇", typed=True)
    await choose(page, "问题领域", "畜禽水产养殖")
    await field(page, "具体地点").locator("input").fill("城关镇河西村三组")
    await page.get_by_placeholder("姓名").fill("赵来电")
    await page.get_by_placeholder("联系电话").fill(CALLER_PHONE)
    await page.get_by_role("button", name="录入", exact=True).click()


async def test_operator_enters_a_call_and_sees_the_callers_phone_only_after_asking(workbench: Opening) -> None:
    async with workbench("services.intake", IntakeSettings) as desk:
        origin = desk.origin
        page = await desk.signed_in("dev-operator", "/#/operator/hotline")
        await enter_call(page, "12369-20260630-0042", "河西村养殖场污水直排")
        await expect(page.locator(".el-result")).to_contain_text("已受理，新问题")
        issue_id = (await page.locator(".receipt strong").text_content() or "").strip()
        assert issue_id, "the receipt gives no 问题编号"

        await page.get_by_role("button", name="查看该问题").click()
        await page.wait_for_url(f"{origin}/#/operator/reports/{issue_id}")
        await expect(page.get_by_text("河西村养殖场污水直排")).to_be_visible()
        reads = card(page, "查阅记录")
        await expect(reads).to_contain_text("尚无人查看过联系方式")
        await expect(page.locator(".page")).not_to_contain_text(CALLER_PHONE)
        await expect(page.locator(".page")).not_to_contain_text("赵来电")
        await page.get_by_role("button", name="查看联系方式").click()
        await expect(page.get_by_text(CALLER_PHONE, exact=True)).to_be_visible()
        await expect(page.get_by_text("赵来电", exact=True)).to_be_visible()
        await expect(reads).to_contain_text("dev-operator")

        # The same call entered again: the issue it opened before, nothing new.
        await page.goto(f"{origin}/#/operator/hotline")
        await enter_call(page, "12369-20260630-0042", "河西村养殖场又在排污")
        await expect(page.locator(".el-result")).to_contain_text("该来电编号此前已录入，未重复受理")
        await expect(page.locator(".receipt strong")).to_have_text(issue_id)


async def fine(page: Page, amount: str, decision_no: str) -> None:
    await page.get_by_role("tab", name="罚款", exact=True).click()
    await field(page, "罚款金额").locator("input").fill(amount)
    await field(page, "行政处罚决定书文号").locator("input").fill(decision_no)
    due = field(page, "缴纳期限").locator("input")
    await due.fill("2026-12-31")
    await due.press("Enter")
    await page.get_by_role("button", name="作出罚款处罚").click()


async def close(page: Page, outcome: str) -> None:
    await page.get_by_role("tab", name="结案", exact=True).click()
    await field(page, "结案结果").locator("textarea").fill(outcome)
    await page.get_by_role("button", name="结案", exact=True).click()


async def test_enforcement_officer_files_fines_and_closes_a_case_and_a_unit_is_refused(workbench: Opening) -> None:
    async with workbench("services.enforcement", EnforcementSettings) as desk:
        origin = desk.origin
        page = await desk.signed_in("dev-enforcement", "/#/enforcement/new")
        filed: list[str] = []

        def record(request: Request) -> None:
            if request.method == "POST" and request.url.endswith("/api/enforcement/v1/enforcement-cases"):
                filed.append(request.url)

        page.on("request", record)
        await field(page, "企业名称").locator("input").fill("城关镇宏达化工有限公司")
        code = field(page, "统一社会信用代码")
        await code.locator("input").fill(WRONG_CHECK_DIGIT)
        await expect(code.locator(".el-form-item__error")).to_have_text("统一社会信用代码校验位不符，请核对代码")
        await field(page, "企业地址").locator("input").fill("城关镇工业园1号")
        await field(page, "违法行为").locator("textarea").fill("通过暗管排放超标废水")
        await field(page, "法律依据").locator("input").fill("《环境保护法》第六十三条")
        await field(page, "承办执法人员").locator("input").fill("王执法")
        await page.get_by_role("button", name="立案", exact=True).click()
        await expect(page.locator(".el-message--error")).to_contain_text("统一社会信用代码有误")
        assert filed == [], "a case with a wrong credit code was sent"

        await code.locator("input").fill(VALID_CODE)
        await expect(code).to_contain_text("校验通过")
        await page.get_by_role("button", name="立案", exact=True).click()
        await page.wait_for_url(f"{origin}/#/enforcement/cases/*")
        assert len(filed) == 1
        await expect(page.locator(".el-descriptions")).to_contain_text(VALID_CODE)
        detail = page.url

        # A second page left open on the case as it was filed.
        stale = await page.context.new_page()
        stale.set_default_timeout(TIMEOUT_MS)
        await stale.goto(detail)
        await expect(stale.get_by_role("tab", name="结案", exact=True)).to_be_visible()

        await fine(page, "53210.55", "县环罚〔2026〕7号")
        penalties = card(page, "行政处罚")
        await expect(penalties).to_contain_text("县环罚〔2026〕7号")
        await expect(penalties).to_contain_text("53,210.55 元")
        await expect(page.locator(".el-descriptions")).to_contain_text("未缴 53,210.55 元")

        await close(stale, "企业已整改，罚款申请法院强制执行")
        await expect(stale.locator(".el-message-box")).to_contain_text("案件已被他人修改")
        await expect(stale.locator(".el-message-box")).to_contain_text("您看到的是第 1 版，现为第 2 版")
        await expect(card(stale, "行政处罚")).to_contain_text("53,210.55 元")  # reloaded: the fine is there now

        await close(page, "企业已整改，罚款申请法院强制执行")
        await expect(page.locator(".el-descriptions .el-tag")).to_have_text("已结案")
        await expect(page.get_by_role("tab", name="罚款", exact=True)).to_have_count(0)

        # A unit's clerk: none of these pages in the menu, and the address gives the API's refusal, not cases.
        unit_page = await desk.signed_in("dev-unit-1", "/#/enforcement/cases")
        await expect(unit_page.locator(".who")).to_contain_text(UNIT)
        menu = unit_page.locator(".menu")
        await expect(menu).to_contain_text("我的案件")
        for title in ROLE_PAGES:
            await expect(menu.get_by_text(title, exact=True)).to_have_count(0)
        await expect(unit_page.locator(".el-alert")).to_contain_text("责任单位无权进行此操作")
        await expect(unit_page.locator(".el-table")).to_have_count(0)


async def test_discipline_commission_imposes_and_revokes_an_admonishment_talk(workbench: Opening) -> None:
    async with workbench("services.accountability", AccountabilitySettings) as desk:
        page = await desk.signed_in("dev-discipline", "/#/discipline/measures/new")
        await choose(page, "问责措施", "诫勉谈话")
        await expect(page.get_by_text("该措施只能对个人作出")).to_be_visible()
        await choose(page, "所在单位", UNIT, typed=True)
        await field(page, "姓名").locator("input").fill("张某某")
        await field(page, "职务").locator("input").fill("城关镇镇长")
        await field(page, "问责事由").locator("textarea").fill("河道采砂问题三次未按期整改")
        await page.get_by_role("button", name="作出问责", exact=True).click()
        await expect(page.locator(".el-result")).to_contain_text("已作出诫勉谈话")

        await page.get_by_role("button", name="返回问责措施").click()
        row = page.locator(".el-table__row", has_text="张某某")
        await expect(row).to_contain_text("有效")
        tally = page.locator(".tally")
        await expect(tally).to_contain_text("共 1 项")
        await expect(tally).to_contain_text("诫勉谈话 1")

        await row.get_by_role("button", name="撤销").click()
        dialog = page.locator(".el-dialog")
        await field(page, "撤销理由").locator("textarea").fill("对象有误，应为副镇长")
        await dialog.get_by_role("button", name="撤销", exact=True).click()
        await expect(row).to_contain_text("已撤销")
        await expect(row).to_contain_text("dev-discipline：对象有误，应为副镇长")
        await expect(row.get_by_role("button", name="撤销")).to_have_count(0)
        await expect(tally).to_contain_text("有效的：无")

        await row.get_by_role("link", name=UNIT).click()
        await page.wait_for_url(f"{desk.origin}/#/discipline/units/**")
        timeline = page.locator(".el-timeline")
        await expect(timeline).to_contain_text("撤销问责：诫勉谈话")
        await expect(timeline).to_contain_text("问责：诫勉谈话")
        await expect(timeline).to_contain_text("张某某（城关镇镇长） · 河道采砂问题三次未按期整改")
        await expect(timeline).to_contain_text("已撤销")


async def test_the_office_downloads_an_issued_bulletin_as_its_word_document(
    workbench: Opening, make_settings: SettingsFactory, tmp_path: Path
) -> None:
    at = now()
    year = at.astimezone(SHANGHAI).year
    issued = BulletinIssued(
        year=year,
        number=1,
        bulletin_no=f"{year}年第1期",
        title="关于一月份整改情况的通报",
        period_from=date(year, 1, 1),
        period_to=date(year, 1, 31),
        overdue=[],
        units=[UnitStanding(unit="城关镇人民政府", total=4, closed=1, overdue=1, rate_percent="25.0")],
        text="一月份督查发现，城关镇整改滞后。",
    )
    envelope = Envelope.wrap(
        issued, stream_id=f"bulletins:{year}", stream_version=1, occurred_at=at, actor="office:li", correlation_id="c"
    )
    await publish(make_settings(ProjectionsSettings), [envelope])
    async with workbench("services.projections", ProjectionsSettings) as desk:
        page = await desk.signed_in("dev-inspection-office", "/#/office/documents")
        button = page.locator(f'[data-test="bulletin-docx-{year}-1"]')
        # the page lists the bulletins when their tab opens: again until projections has read the event
        for _ in range(30):
            await page.get_by_role("tab", name="督查通报", exact=True).click()
            await page.get_by_role("tab", name=f"{year}年已印发通报").click()
            if await button.count():
                break
            await asyncio.sleep(1)
        await expect(page.locator(".issued")).to_contain_text(f"{year}年第1期　关于一月份整改情况的通报")
        async with page.expect_download() as downloading:
            await button.click()
        download = await downloading.value
        assert download.suggested_filename == f"督查通报-{year}年第1期.docx"
        await download.save_as(saved := tmp_path / "bulletin.docx")
        document = opened(saved.read_bytes())
        assert document.paragraphs[1] == f"{year}年第1期" and issued.text in document.paragraphs
        assert document.tables[0][1][1:6] == ["城关镇人民政府", "4", "1", "25.0", "1"]
