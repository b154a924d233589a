"""The authorization matrix: every route of every service × every role, allowed or 403.

The table below is written down independently of the code. A route that the services
publish in their OpenAPI but the table does not name fails the test, so a new route
cannot slip in without a decision about who may call it.
"""

import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.accountability.main import create_app as accountability_app
from services.accountability.settings import AccountabilitySettings
from services.cases.main import create_app as cases_app
from services.cases.settings import CasesSettings
from services.enforcement.main import create_app as enforcement_app
from services.enforcement.settings import EnforcementSettings
from services.intake.main import create_app as intake_app
from services.intake.settings import IntakeSettings
from services.projections.main import create_app as projections_app
from services.projections.settings import ProjectionsSettings
from shared.auth import Role, issue_token
from shared.settings import ServiceSettings
from tests.conftest import SettingsFactory
from tests.support.service import running

R = Role
EVERYONE = "everyone"  # no token needed
STAFF = frozenset(r for r in Role if r is not R.PUBLIC)
REPORT_READERS = frozenset({R.OPERATOR, R.INSPECTION_OFFICE, R.LEADER, R.UNIT, R.ENFORCEMENT})
OFFICE = frozenset({R.INSPECTION_OFFICE})

MATRIX: dict[str, dict[tuple[str, str], frozenset[Role] | str]] = {
    "intake": {
        ("POST", "/v1/reports"): EVERYONE,
        ("GET", "/report"): EVERYONE,
        ("POST", "/report"): EVERYONE,
        ("GET", "/v1/reports/{issue_id}"): REPORT_READERS,
        ("GET", "/v1/attachments/{attachment_id}"): REPORT_READERS,
        ("GET", "/v1/reports/{issue_id}/contacts"): frozenset({R.OPERATOR}),
        ("GET", "/v1/reports/{issue_id}/contact-reads"): frozenset({R.OPERATOR}),
        ("POST", "/v1/hotline-calls"): frozenset({R.OPERATOR}),
        ("POST", "/v1/inspections"): frozenset({R.INSPECTION_OFFICE, R.UNIT}),
        ("POST", "/v1/batches"): frozenset({R.OPERATOR, R.INSPECTION_OFFICE}),
        ("GET", "/v1/batches/{upload_id}"): frozenset({R.OPERATOR, R.INSPECTION_OFFICE, R.LEADER}),
    },
    "cases": {
        ("POST", "/v1/cases/{case_id}/assign"): OFFICE,
        ("POST", "/v1/cases/{case_id}/supervise"): OFFICE,
        ("POST", "/v1/cases/{case_id}/extend"): OFFICE,
        ("POST", "/v1/cases/{case_id}/verify"): OFFICE,
        ("POST", "/v1/cases/{case_id}/reopen"): OFFICE,
        ("POST", "/v1/cases/{case_id}/progress"): frozenset({R.UNIT}),
        ("POST", "/v1/cases/{case_id}/request-closure"): frozenset({R.UNIT}),
        ("GET", "/v1/cases/{case_id}"): STAFF,
        ("GET", "/v1/cases/{case_id}/history"): STAFF,
        ("GET", "/v1/cases"): STAFF,
    },
    "enforcement": {
        ("POST", "/v1/enforcement-cases"): frozenset({R.ENFORCEMENT}),
        **{
            ("POST", f"/v1/enforcement-cases/{{case_id}}/{command}"): frozenset({R.ENFORCEMENT})
            for command in (
                "penalties",
                "payments",
                "rectification-orders",
                "reinspections",
                "production-stops",
                "detentions",
                "criminal-measures",
                "referrals",
                "close",
            )
        },
        ("GET", "/v1/enforcement-cases"): STAFF,
        ("GET", "/v1/enforcement-cases/by-enterprise/{credit_code}"): STAFF,
        ("GET", "/v1/enforcement-cases/{case_id}"): STAFF,
        ("GET", "/v1/enforcement-cases/{case_id}/history"): STAFF,
    },
    "accountability": {
        ("POST", "/v1/measures"): frozenset({R.DISCIPLINE, R.INSPECTION_OFFICE}),
        ("POST", "/v1/measures/{measure_id}/revoke"): frozenset({R.DISCIPLINE, R.INSPECTION_OFFICE}),
        ("GET", "/v1/measures"): STAFF,
        ("GET", "/v1/measures/{measure_id}"): STAFF,
        ("GET", "/v1/units/{unit}/record"): STAFF,
        ("GET", "/v1/policy"): STAFF,
    },
    "projections": {
        ("GET", path): STAFF
        for path in (
            "/v1/stats/closure-rates",
            "/v1/stats/closure-rates/cases",
            "/v1/stats/closure-trend",
            "/v1/stats/accountability",
            "/v1/stats/accountability/items",
            "/v1/stats/enforcement",
            "/v1/stats/enforcement/cases",
            "/v1/cases/overdue",
            "/v1/cases/{issue_id}/timeline",
            "/v1/reports/work-summary",
            "/v1/exports/ledger.xlsx",
            "/v1/read-models",
        )
    },
}

HEALTH = {("GET", "/healthz"), ("GET", "/readyz")}

SERVICES: dict[str, tuple[Callable[[Any], FastAPI], type[ServiceSettings]]] = {
    "intake": (intake_app, IntakeSettings),
    "cases": (cases_app, CasesSettings),
    "enforcement": (enforcement_app, EnforcementSettings),
    "accountability": (accountability_app, AccountabilitySettings),
    "projections": (projections_app, ProjectionsSettings),
}


def published_routes(app: FastAPI) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, ops in app.openapi()["paths"].items() for method in ops}


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "00000000-0000-0000-0000-000000000000", path)


def headers_for(settings: ServiceSettings, role: Role | None) -> dict[str, str]:
    if role is None:
        return {}
    unit = "城关镇人民政府" if role is Role.UNIT else None
    return {"Authorization": f"Bearer {issue_token(settings, subject='matrix', role=role, unit=unit)}"}


@pytest.fixture(params=list(SERVICES))
async def service(
    request: pytest.FixtureRequest, make_settings: SettingsFactory, topics: list[str]
) -> AsyncIterator[tuple[str, Any, Any, Any]]:
    name = request.param
    factory, settings_cls = SERVICES[name]
    settings = make_settings(settings_cls)
    app = factory(settings)
    async with running(app) as client:
        yield name, app, client, settings


async def test_every_route_answers_each_role_as_the_matrix_says(service: tuple[str, Any, Any, Any]) -> None:
    name, app, client, settings = service
    table = MATRIX[name]
    published = published_routes(app) - HEALTH
    assert published == set(table), (
        f"routes without a decision: {published - set(table)}; gone: {set(table) - published}"
    )
    wrong: list[str] = []
    for (method, path), allowed in sorted(table.items()):
        for role in [None, *Role]:
            response = await client.request(method, concrete(path), headers=headers_for(settings, role), auth=_no_auth)
            status = response.status_code
            if allowed == EVERYONE:
                ok = status not in (401, 403)
            elif role is None:
                ok = status == 401
            elif role in allowed:
                ok = status not in (401, 403)
            else:
                ok = status == 403 and response.json()["error"]["code"] == "forbidden"
            if not ok:
                wrong.append(f"{method} {path} as {role.value if role else 'no token'}: {status}")
    assert not wrong, "\n".join(wrong)


def _no_auth(request: httpx.Request) -> httpx.Request:
    """These requests carry exactly the token the matrix names, not the test client's own."""
    return request


async def test_a_unit_may_report_progress_only_on_its_own_cases(
    make_settings: SettingsFactory, topics: list[str]
) -> None:
    from tests.integration.cases.support import five_definitions, open_case

    settings = make_settings(CasesSettings)
    async with running(cases_app(settings)) as client:
        case_id = await open_case(client, settings)
        assigned = await client.post(
            f"/v1/cases/{case_id}/assign", json=five_definitions() | {"unit": "城关镇人民政府"}
        )
        assert assigned.status_code == 200, assigned.text
        progress = {"note": "已清理", "percent": 50}

        def as_unit(unit: str) -> dict[str, str]:
            token = issue_token(settings, subject="clerk", role=Role.UNIT, unit=unit)
            return {"Authorization": f"Bearer {token}"}

        other = await client.post(f"/v1/cases/{case_id}/progress", json=progress, headers=as_unit("河口镇人民政府"))
        assert other.status_code == 403 and "城关镇人民政府" not in other.json()["error"]["message"]
        own = await client.post(f"/v1/cases/{case_id}/progress", json=progress, headers=as_unit("城关镇人民政府"))
        assert own.status_code == 200, own.text
        history = (await client.get(f"/v1/cases/{case_id}/history")).json()["events"]
        assert [e["type"] for e in history].count("ProgressReported") == 1


async def test_no_token_a_wrong_token_and_an_expired_token_get_401(
    make_settings: SettingsFactory, topics: list[str]
) -> None:
    from datetime import timedelta

    settings = make_settings(CasesSettings)
    async with running(cases_app(settings)) as client:
        expired = issue_token(settings, subject="x", role=Role.LEADER, ttl=timedelta(seconds=-5))
        for headers in ({}, {"Authorization": "Bearer not.a.jwt"}, {"Authorization": f"Bearer {expired}"}):
            answer = await client.get("/v1/cases", headers=headers, auth=_no_auth)
            assert answer.status_code == 401
            assert answer.headers["WWW-Authenticate"] == "Bearer"
            assert answer.json()["error"]["message"]
