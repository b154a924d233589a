"""A session that ends while a form is half typed: the workbench signs in again and the form comes back as it was.

The test signs in through a client of its own whose access tokens live 30 seconds, so the page renews its token by
the refresh token right away and keeps doing so; then the person's sessions are ended at Keycloak (as an administrator
would, or as the SSO session's own end does), the next renewal fails, and the page goes back to the sign-in page.
After signing in, the unit is on the same case with the unsent 进展反馈 restored, and sending it works.

The person is a unit user of the test's own, not dev-unit-1: ending dev-unit-1's sessions signed out the pages of
another browser test using it on the other worker (make test runs two), which then found the sign-in page.
"""

import asyncio

import httpx
import pytest
from playwright.async_api import expect

from services.cases.settings import CasesSettings
from services.intake.settings import IntakeSettings
from shared import identity
from shared.auth import Role
from shared.signin import SignInSettings, signed_in
from tests.conftest import SettingsFactory
from tests.support.keycloak import Keycloak
from tests.support.service import free_port
from tests.support.workbench import field, person_of_their_own, signed_in_page, workbench_with

UNIT = identity.DEV_UNITS[0]
NOTE = "东侧排口已封堵，西侧管网改造过半（写到一半时登录过期）"


pytestmark = pytest.mark.usefixtures("patient_assertions")


async def assigned_case(office: httpx.AsyncClient, intake: str, cases: str) -> str:
    """A problem reported and assigned to the unit, through the APIs."""
    report = {
        "source": "self_inspection",
        "title": "工业园区雨污混排",
        "description": "雨水管网接入生产废水",
        "township": "城关镇",
        "domain": "water",
        "location": {"address": "城关镇工业园区"},
    }
    accepted = await office.post(f"{intake}/v1/reports", json=report)
    assert accepted.status_code == 202, accepted.text
    case_id: str = accepted.json()["issue_id"]
    for _ in range(150):  # cases opens it from intake.events
        opened = await office.get(f"{cases}/v1/cases/{case_id}")
        if opened.status_code == 200:
            break
        await asyncio.sleep(0.2)
    assigned = await office.post(
        f"{cases}/v1/cases/{case_id}/assign",
        headers={"If-Match": str(opened.json()["version"])},
        json={
            "problem": "雨污混排",
            "task": "雨污分流改造",
            "unit": UNIT,
            "leader": {"name": "王某某", "post": "城关镇党委书记"},
            "deadline_working_days": 20,
            "measures": "逾期约谈",
        },
    )
    assert assigned.status_code == 200, assigned.text
    return case_id


def end_sessions(keycloak: Keycloak, username: str) -> None:
    with identity.admin_client(keycloak.url, keycloak.admin_password) as admin:
        (user,) = admin.get(f"/{identity.REALM}/users", params={"username": username, "exact": "true"}).json()
        admin.post(f"/{identity.REALM}/users/{user['id']}/logout").raise_for_status()


async def test_an_ended_session_signs_in_again_and_keeps_the_unsent_form(
    keycloak: Keycloak, dev_sign_in: SignInSettings, make_settings: SettingsFactory, topics: list[str]
) -> None:
    intake = make_settings(IntakeSettings, port=free_port(), oidc_issuer=keycloak.issuer)
    cases = make_settings(CasesSettings, port=free_port(), oidc_issuer=keycloak.issuer)
    intake_url, cases_url = f"http://127.0.0.1:{intake.port}", f"http://127.0.0.1:{cases.port}"
    with person_of_their_own(keycloak, Role.UNIT, UNIT) as (unit_user, password):
        async with workbench_with(
            keycloak, ("services.intake", intake), ("services.cases", cases), token_seconds=30
        ) as (origin, browser):
            office = signed_in(Role.INSPECTION_OFFICE, settings=dev_sign_in)
            async with httpx.AsyncClient(timeout=30, auth=office) as client:
                case_id = await assigned_case(client, intake_url, cases_url)

            path = f"/#/cases/{case_id}"
            _, page = await signed_in_page(browser, origin, path, unit_user, password)
            await page.get_by_role("tab", name="进展反馈").click()
            await field(page, "进展情况").locator("textarea").fill(NOTE)

            end_sessions(keycloak, unit_user)
            # The next renewal is refused: back to Keycloak's sign-in page, the draft kept in the tab.
            await page.wait_for_url(f"{keycloak.issuer}/protocol/openid-connect/auth?**")
            await page.fill("#username", unit_user)
            await page.fill("#password", password)
            await page.click("#kc-login")
            await page.wait_for_url(f"{origin}{path}")

            await expect(page.get_by_text("已恢复未提交的内容")).to_be_visible()
            await page.get_by_role("tab", name="进展反馈").click()
            await expect(field(page, "进展情况").locator("textarea")).to_have_value(NOTE)
            await page.get_by_role("button", name="提交进展").click()
            await expect(page.locator(".el-timeline")).to_contain_text("东侧排口已封堵")
