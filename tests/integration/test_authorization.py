"""The authorization matrix: every route of every service × every role, allowed or 403.

The table below is written down independently of the code. A route that the services
publish in their OpenAPI but the table does not name fails the test, so a new route
cannot slip in without a decision about who may call it.
"""

import asyncio
import contextlib
import re
import struct
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
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
from shared import clock
from shared.auth import Role
from shared.settings import ServiceSettings
from tests.conftest import SettingsFactory
from tests.integration.cases.support import five_definitions
from tests.support.issuer import issue_token
from tests.support.service import running

R = Role
EVERYONE = "everyone"  # no token needed
STAFF = frozenset(r for r in Role if r is not R.PUBLIC)
# Reads of the county as a whole, and of enforcement (against enterprises, not units' cases): not for units.
# Every other read a unit may call answers it about its own cases only: test_a_unit_reads_only_its_own_cases….
COUNTY = STAFF - {R.UNIT}
REPORT_READERS = frozenset({R.OPERATOR, R.INSPECTION_OFFICE, R.LEADER, R.UNIT, R.ENFORCEMENT})
OFFICE = frozenset({R.INSPECTION_OFFICE})

# The audit log's routes, on every service with an event store (shared/audit/api.py): the keys are public; checkpoints
# and proofs are read by leaders and the discipline commission, which alone asks for a checkpoint on demand.
AUDIT_READERS = frozenset({R.LEADER, R.DISCIPLINE})
AUDIT: dict[tuple[str, str], frozenset[Role] | str] = {
    ("GET", "/v1/audit/keys"): EVERYONE,
    ("GET", "/v1/audit/checkpoints"): AUDIT_READERS,
    ("POST", "/v1/audit/checkpoints"): frozenset({R.DISCIPLINE}),
    ("GET", "/v1/audit/proof/{event_id}"): AUDIT_READERS,
    ("GET", "/v1/audit/consistency"): AUDIT_READERS,
}

MATRIX: dict[str, dict[tuple[str, str], frozenset[Role] | str]] = {
    "intake": {
        **AUDIT,
        ("POST", "/v1/reports"): EVERYONE,
        ("GET", "/report"): EVERYONE,
        ("POST", "/report"): EVERYONE,
        # 公示异议: anyone, limited per address like the report form.
        ("POST", "/v1/public/objections"): EVERYONE,
        ("GET", "/v1/reports/{issue_id}"): REPORT_READERS,
        ("GET", "/v1/attachments/{attachment_id}"): REPORT_READERS,
        ("GET", "/v1/reports/{issue_id}/contacts"): frozenset({R.OPERATOR}),
        ("GET", "/v1/reports/{issue_id}/contact-reads"): frozenset({R.OPERATOR}),
        ("DELETE", "/v1/reports/{issue_id}/contact"): frozenset({R.OPERATOR}),
        ("POST", "/v1/hotline-calls"): frozenset({R.OPERATOR}),
        ("POST", "/v1/inspections"): frozenset({R.INSPECTION_OFFICE, R.UNIT}),
        ("POST", "/v1/batches"): frozenset({R.OPERATOR, R.INSPECTION_OFFICE}),
        ("GET", "/v1/batches/{upload_id}"): frozenset({R.OPERATOR, R.INSPECTION_OFFICE, R.LEADER}),
    },
    "cases": {
        **AUDIT,
        ("POST", "/v1/cases/{case_id}/assign"): OFFICE,
        ("POST", "/v1/cases/{case_id}/supervise"): OFFICE,
        ("POST", "/v1/cases/{case_id}/extend"): OFFICE,
        ("POST", "/v1/cases/{case_id}/verify"): OFFICE,
        ("POST", "/v1/cases/{case_id}/reopen"): OFFICE,
        # 销号工作规程: the 督察办's steps, and the county leader's 审签
        ("POST", "/v1/cases/{case_id}/start-notice"): OFFICE,
        ("POST", "/v1/cases/{case_id}/complete-notice"): OFFICE,
        ("POST", "/v1/cases/{case_id}/request-review"): OFFICE,
        ("POST", "/v1/cases/{case_id}/close"): OFFICE,
        ("POST", "/v1/cases/{case_id}/file-closure"): OFFICE,
        ("POST", "/v1/cases/{case_id}/sign-off"): frozenset({R.LEADER}),
        ("POST", "/v1/cases/{case_id}/progress"): frozenset({R.UNIT}),
        ("POST", "/v1/cases/{case_id}/request-closure"): frozenset({R.UNIT}),
        # 信息公开: the unit withholds its own case (不予公开); 督察办 withholds or publishes again
        ("POST", "/v1/cases/{case_id}/confidentiality"): frozenset({R.UNIT, R.INSPECTION_OFFICE}),
        # 佐证材料: uploaded by the unit holding the case (another's is 404), read by whoever reads the case.
        ("POST", "/v1/cases/{case_id}/evidence"): frozenset({R.UNIT}),
        ("GET", "/v1/cases/{case_id}/evidence"): STAFF,
        ("GET", "/v1/cases/{case_id}/evidence/{sha256}"): STAFF,
        ("GET", "/v1/cases/{case_id}"): STAFF,
        ("GET", "/v1/cases/{case_id}/history"): STAFF,
        ("GET", "/v1/cases"): STAFF,
        ("GET", "/v1/calendar/deadline"): STAFF,
    },
    "enforcement": {
        **AUDIT,
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
        ("GET", "/v1/enforcement-cases"): COUNTY,
        ("GET", "/v1/enforcement-cases/by-enterprise/{credit_code}"): COUNTY,
        ("GET", "/v1/enforcement-cases/{case_id}"): COUNTY,
        ("GET", "/v1/enforcement-cases/{case_id}/history"): COUNTY,
    },
    "accountability": {
        **AUDIT,
        # 督察办: criticism notices only, and revoking only its own; which measure is in the body, so the rule is
        # the domain's (403 with the reason): tests/integration/accountability/test_measure_authority.py.
        ("POST", "/v1/measures"): frozenset({R.DISCIPLINE, R.INSPECTION_OFFICE}),
        ("POST", "/v1/measures/{measure_id}/revoke"): frozenset({R.DISCIPLINE, R.INSPECTION_OFFICE}),
        ("GET", "/v1/measures"): STAFF,
        ("GET", "/v1/measures/{measure_id}"): STAFF,
        ("GET", "/v1/units/{unit}/record"): STAFF,
        ("GET", "/v1/policy"): STAFF,
        # The documents of the supervision (督查文书): the 督察办 records them, the county reads them (they name other
        # units and their cases, so not a unit).
        ("POST", "/v1/rounds"): OFFICE,
        ("POST", "/v1/rounds/{round_id}/findings"): OFFICE,
        ("POST", "/v1/rounds/{round_id}/close"): OFFICE,
        ("GET", "/v1/rounds/{round_id}"): COUNTY,
        ("POST", "/v1/bulletins"): OFFICE,
        ("GET", "/v1/bulletins/{year}/{number}"): COUNTY,
        ("POST", "/v1/summons-meetings"): OFFICE,
        ("GET", "/v1/summons-meetings/{meeting_id}"): COUNTY,
        ("POST", "/v1/meetings"): OFFICE,
        ("GET", "/v1/meetings/{meeting_id}"): COUNTY,
    },
    "projections": {
        **AUDIT,  # its records of reads are an audit log like every service's (issue 16)
        **{
            ("GET", path): STAFF
            for path in (
                "/v1/stats/closure-rates",
                "/v1/stats/closure-rates/cases",
                "/v1/stats/closure-trend",
                "/v1/stats/accountability",
                "/v1/stats/accountability/items",
                "/v1/cases/overdue",
                "/v1/cases/{issue_id}/timeline",
                "/v1/cases/{issue_id}/assignment-letter.docx",
                "/v1/read-models",
                "/v1/stats/task-forces",
                "/v1/stats/task-forces/cases",
                "/v1/stats/task-forces/escalations",
                "/v1/stats/assessment",
                "/v1/stats/assessment/items",
                # 交办函: a unit reads those addressed to it only (test_documents.py)
                "/v1/documents/assignment-letters",
                "/v1/documents/assignment-letters/{letter_no}",
                "/v1/documents/assignment-letters/{letter_no}.docx",
            )
        },
        **{
            ("GET", path): COUNTY
            for path in (
                "/v1/stats/enforcement",
                "/v1/stats/enforcement/cases",
                "/v1/reports/work-summary",
                "/v1/reports/work-summary.docx",
                "/v1/exports/ledger.xlsx",
                "/v1/stats/enforcement/year-on-year",
                "/v1/stats/documents",
                "/v1/documents/rounds",
                "/v1/documents/bulletin-draft",
                "/v1/documents/bulletins/{year}/{number}",
                "/v1/documents/bulletins/{year}/{number}.docx",
                "/v1/documents/{kind}",
            )
        },
        # 查阅留痕: who read what, for 纪委 alone.
        ("GET", "/v1/audit/reads"): frozenset({R.DISCIPLINE}),
        # 信息公开: public fields only, for anyone.
        ("GET", "/v1/public/problems"): EVERYONE,
        ("GET", "/v1/public/notices"): EVERYONE,
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


def _shape(path: str) -> str:
    """A route without the names of its parameters: /v1/cases/{} for /v1/cases/{case_id}."""
    return re.sub(r"\{[^}]+\}", "{}", path)


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
        expired = issue_token(settings, subject="x", role=Role.LEADER, ttl=timedelta(seconds=-60))  # past the leeway
        for headers in ({}, {"Authorization": "Bearer not.a.jwt"}, {"Authorization": f"Bearer {expired}"}):
            answer = await client.get("/v1/cases", headers=headers, auth=_no_auth)
            assert answer.status_code == 401
            assert answer.headers["WWW-Authenticate"] == "Bearer"
            assert answer.json()["error"]["message"]


# ---------------------------------------------------------------- a unit reads only its own cases (数据范围)

OWN, OTHER = "河口镇人民政府", "城关镇人民政府"  # unit A reads; unit B's data must stay out of its sight


def png() -> bytes:
    """A real one-pixel PNG, whatever intake checks of a photo."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x2e\x8b\x57"))
        + chunk(b"IEND", b"")
    )


@dataclass
class County:
    """The five services in this process on one test's topics, with unit A's and unit B's data in them."""

    clients: dict[str, httpx.AsyncClient]
    settings: dict[str, ServiceSettings]
    ids: dict[str, str] = field(default_factory=dict)
    read: set[tuple[str, str]] = field(default_factory=set)

    def unit(self, unit: str) -> dict[str, str]:
        token = issue_token(self.settings["cases"], subject=f"{unit} 联络员", role=Role.UNIT, unit=unit)
        return {"Authorization": f"Bearer {token}"}

    def role(self, role: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {issue_token(self.settings['cases'], subject='reader', role=role)}"}

    async def get(
        self, service: str, route: str, headers: dict[str, str], params: dict[str, str] | None = None
    ) -> httpx.Response:
        """GET one route (its template, filled from `ids`), noting that the route was read."""
        self.read.add((service, _shape(route)))
        path = route.format(**self.ids)
        return await self.clients[service].get(path, params=params, headers=headers, auth=_no_auth)


@pytest.fixture
async def county(make_settings: SettingsFactory, topics: list[str]) -> AsyncIterator[County]:
    settings: dict[str, ServiceSettings] = {
        name: make_settings(cls, **({"deadline_poll_seconds": 0.3} if name == "cases" else {}))
        for name, (_, cls) in SERVICES.items()
    }
    async with contextlib.AsyncExitStack() as stack:
        clients = {
            name: await stack.enter_async_context(running(factory(settings[name])))
            for name, (factory, _) in SERVICES.items()
        }
        yield County(clients, settings)


async def _until(what: str, check: Callable[[], Awaitable[bool]], timeout: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, f"not reached in {timeout}s: {what}"
        await asyncio.sleep(0.3)


async def _fill(county: County) -> None:
    """Unit A's case and unit B's (with a photo, a missed deadline, an enforcement case), and measures of both."""
    intake, cases = county.clients["intake"], county.clients["cases"]

    async def report(photos: list[tuple[str, tuple[str, bytes, str]]], **form: str) -> str:
        """Through the public form, as a citizen reports (with photos, if any)."""
        sent = await intake.post("/report", data=form, files=photos, headers={"Accept": "application/json"})
        assert sent.status_code in (200, 202), sent.text
        return str(sent.json()["issue_id"])

    other = county.ids["other_case"] = await report(
        [("photos", ("p.png", png(), "image/png"))],
        title="工地扬尘",
        description="渣土车未覆盖",
        township="城关镇",
        domain="dust_construction_waste",
        address="城关镇建设路工地",
    )
    own = county.ids["own_case"] = await report(
        [],
        title="养殖场污水直排",
        description="来电反映",
        township="河口镇",
        domain="livestock_aquaculture",
        address="河口镇东湾村",
    )
    for case_id in (own, other):
        await _until(f"case {case_id} opened", _answers(cases, f"/v1/cases/{case_id}"))
    soon = clock.now() + timedelta(seconds=3)  # unit B's case is overdue, and escalated, a few seconds on
    for case_id, unit, deadline in ((own, OWN, None), (other, OTHER, soon)):
        body = five_definitions(deadline, unit=unit)
        assigned = await cases.post(f"/v1/cases/{case_id}/assign", json=body)
        assert assigned.status_code == 200, assigned.text
    county.ids["photo"] = (await intake.get(f"/v1/reports/{other}")).json()["attachments"][0]["attachment_id"]
    uploaded = await cases.post(
        f"/v1/cases/{other}/evidence",
        files={"file": ("p.png", png(), "image/png")},
        headers=county.unit(OTHER),
        auth=_no_auth,
    )
    assert uploaded.status_code == 201, uploaded.text
    county.ids["other_file"] = uploaded.json()["sha256"]

    accountability = county.clients["accountability"]
    for name, unit, case_ids in (("own_measure", OWN, [own, other]), ("other_measure", OTHER, [other])):
        target = {"kind": "person", "unit": unit, "name": "张三", "post": "副镇长"}
        body = {"target": target, "measure": "admonishment_talk", "reason": "整改不力", "case_ids": case_ids}
        imposed = await accountability.post("/v1/measures", json=body)
        assert imposed.status_code == 201, imposed.text
        county.ids[name] = imposed.json()["measure_id"]
    opened = await county.clients["enforcement"].post(
        "/v1/enforcement-cases",
        json={
            "enterprise": {"name": "某某建材有限公司", "credit_code": CREDIT_CODE, "address": "城关镇工业园1号"},
            "violation": "扬尘污染",
            "legal_basis": "《大气污染防治法》第一百一十五条",
            "officer": "王执法",
            "issue_id": other,
        },
    )
    assert opened.status_code == 201, opened.text
    county.ids["enforcement_case"] = opened.json()["case_id"]
    county.ids["credit_code"] = CREDIT_CODE

    # Every service has heard of it all: intake of the assignments, accountability and projections of the miss.
    b = county.unit(OTHER)
    await _until(
        "intake knows unit B's case", lambda: _ok(intake.get(f"/v1/reports/{other}", headers=b, auth=_no_auth))
    )
    await _until(
        "unit B's escalation",
        lambda: _has(accountability.get(f"/v1/units/{OTHER}/record"), lambda r: len(r["entries"]) >= 2),
    )
    projections = county.clients["projections"]
    await _until(
        "projections applied everything",
        lambda: _has(
            projections.get(f"/v1/cases/{other}/timeline"),
            lambda t: (
                {"WarningIssued", "EnforcementCaseOpened", "MeasureImposed"} <= {e["type"] for e in t["events"]}
                and sum(e["type"] == "MeasureImposed" for e in t["events"]) == 2
            ),
        ),
    )


CREDIT_CODE = "91110108551385082Q"


async def _ok(answer: Awaitable[httpx.Response]) -> bool:
    return (await answer).status_code == 200


def _answers(
    client: httpx.AsyncClient, path: str, headers: dict[str, str] | None = None
) -> Callable[[], Awaitable[bool]]:
    """Whether `path` answers 200 (with these headers, else the client's own token), asked anew on each call."""
    return lambda: _ok(client.get(path, headers=headers, auth=_no_auth if headers else httpx.USE_CLIENT_DEFAULT))


async def _has(answer: Awaitable[httpx.Response], ready: Callable[[Any], bool]) -> bool:
    response = await answer
    return response.status_code == 200 and ready(response.json())


def _hidden(answer: httpx.Response) -> None:
    """A resource outside the unit's cases: 404, as if it did not exist."""
    assert answer.status_code == 404, answer.text
    assert answer.json()["error"]["code"] == "not_found"


def _refused(answer: httpx.Response) -> None:
    assert answer.status_code == 403, answer.text
    assert answer.json()["error"]["code"] == "forbidden"


async def test_a_unit_reads_only_its_own_cases_on_every_read_route(county: County) -> None:
    await _fill(county)
    ids = county.ids
    own, other = ids["own_case"], ids["other_case"]
    a, b = county.unit(OWN), county.unit(OTHER)
    leader = county.role(Role.LEADER)
    get = county.get

    # cases: the list, a case, its history
    listed = (await get("cases", "/v1/cases", a)).json()
    assert [c["case_id"] for c in listed["items"]] == [own] and listed["total"] == 1
    assert (await get("cases", "/v1/cases", a, {"unit": OTHER})).json()["total"] == 0
    assert [c["case_id"] for c in (await get("cases", "/v1/cases", b)).json()["items"]] == [other]
    for route in (
        "/v1/cases/{other_case}",
        "/v1/cases/{other_case}/history",
        "/v1/cases/{other_case}/evidence",
        "/v1/cases/{other_case}/evidence/{other_file}",
    ):
        _hidden(await get("cases", route, a))
        assert (await get("cases", route, b)).status_code == 200
    assert (await get("cases", "/v1/calendar/deadline", a, {"working_days": "5"})).status_code == 200  # no case

    # intake: the report and its photo
    for route in ("/v1/reports/{other_case}", "/v1/attachments/{photo}"):
        _hidden(await get("intake", route, a))
        assert (await get("intake", route, b)).status_code == 200
    assert (await get("intake", "/v1/reports/{own_case}", a)).status_code == 200

    # enforcement: against enterprises, not units' cases: refused to every unit
    for route in (
        "/v1/enforcement-cases",
        "/v1/enforcement-cases/by-enterprise/{credit_code}",
        "/v1/enforcement-cases/{enforcement_case}",
        "/v1/enforcement-cases/{enforcement_case}/history",
    ):
        _refused(await get("enforcement", route, a))
        _refused(await get("enforcement", route, b))
        assert (await get("enforcement", route, leader)).status_code == 200

    # accountability: measures against the unit and its officials, its own record
    def units_of(answer: httpx.Response) -> list[str]:
        return [m["target"]["unit"] for m in answer.json()["items"]]

    assert units_of(await get("accountability", "/v1/measures", a)) == [OWN]
    assert units_of(await get("accountability", "/v1/measures", a, {"unit": OTHER})) == []
    assert units_of(await get("accountability", "/v1/measures", b)) == [OTHER]
    assert sorted(units_of(await get("accountability", "/v1/measures", leader))) == sorted([OWN, OTHER])
    _hidden(await get("accountability", "/v1/measures/{other_measure}", a))
    assert (await get("accountability", "/v1/measures/{own_measure}", a)).status_code == 200
    ids["other_unit"], ids["own_unit"] = OTHER, OWN
    _hidden(await get("accountability", "/v1/units/{other_unit}/record", a))
    assert (await get("accountability", "/v1/units/{own_unit}/record", a)).status_code == 200
    assert (await get("accountability", "/v1/units/{other_unit}/record", b)).status_code == 200
    assert (await get("accountability", "/v1/policy", a)).status_code == 200  # the rules, no case in it

    # projections: figures, the cases behind them, the tally, timelines
    rates = (await get("projections", "/v1/stats/closure-rates", a, {"group_by": "unit"})).json()
    assert [r["key"] for r in rates["rows"]] == [OWN] and rates["totals"]["total"] == 1
    county_rates = (await get("projections", "/v1/stats/closure-rates", leader, {"group_by": "unit"})).json()
    assert county_rates["totals"]["total"] == 2
    foreign = (await get("projections", "/v1/stats/closure-rates", a, {"unit": OTHER})).json()
    assert foreign["totals"]["total"] == 0
    behind = (await get("projections", "/v1/stats/closure-rates/cases", a)).json()
    assert [c["issue_id"] for c in behind["items"]] == [own]
    behind = (await get("projections", "/v1/stats/closure-rates/cases", a, {"unit": OTHER})).json()
    assert behind["items"] == [] and behind["total"] == 0
    trend = (await get("projections", "/v1/stats/closure-trend", a)).json()
    assert trend["points"][-1]["total"] == 1
    assert (await get("projections", "/v1/cases/overdue", a)).json()["items"] == []
    assert [c["issue_id"] for c in (await get("projections", "/v1/cases/overdue", b)).json()["items"]] == [other]

    tally = (await get("projections", "/v1/stats/accountability", a, {"group_by": "unit"})).json()
    assert [r["key"] for r in tally["rows"]] == [OWN] and tally["totals"]["warnings"] == 0
    tally_b = (await get("projections", "/v1/stats/accountability", b, {"group_by": "unit"})).json()
    assert [r["key"] for r in tally_b["rows"]] == [OTHER] and tally_b["totals"]["warnings"] == 1
    items = (await get("projections", "/v1/stats/accountability/items", a)).json()["items"]
    assert {i["unit"] for i in items} == {OWN}
    assert (await get("projections", "/v1/stats/accountability/items", a, {"unit": OTHER})).json()["items"] == []

    # 专项整治组 and 绩效考核: the unit's own cases, escalations and score only
    forces = (await get("projections", "/v1/stats/task-forces", a)).json()
    assert sum(r["total"] for r in forces["rows"]) == 1
    assert sum(r["escalations"]["warning"] for r in forces["rows"]) == 0
    forces_b = (await get("projections", "/v1/stats/task-forces", b)).json()
    assert sum(r["escalations"]["warning"] for r in forces_b["rows"]) == 1
    for row in forces_b["rows"]:
        query = {"task_force": row["key"]}
        listed = (await get("projections", "/v1/stats/task-forces/cases", a, query)).json()["items"]
        assert {c["issue_id"] for c in listed} <= {own}
        escalated = (await get("projections", "/v1/stats/task-forces/escalations", a, query)).json()["items"]
        assert escalated == []
    ranking = (await get("projections", "/v1/stats/assessment", a)).json()
    assert [r["unit"] for r in ranking["rows"]] == [OWN]
    _refused(await get("projections", "/v1/stats/assessment/items", a, {"unit": OTHER}))
    scored = (await get("projections", "/v1/stats/assessment/items", b, {"unit": OTHER})).json()
    assert {i["kind"] for i in scored["items"]} >= {"warning"}

    _hidden(await get("projections", "/v1/cases/{other_case}/timeline", a))
    seen = (await get("projections", "/v1/cases/{other_case}/timeline", b)).json()["events"]
    assert {e["topic"] for e in seen} == {"intake", "cases", "accountability"}  # enforcement is not the units'
    measures_seen = [e["payload"]["target"]["unit"] for e in seen if e["type"] == "MeasureImposed"]
    assert measures_seen == [OTHER]  # unit A's official, named on this case, is not unit B's to read
    everything = (await get("projections", "/v1/cases/{other_case}/timeline", leader)).json()["events"]
    assert "enforcement" in {e["topic"] for e in everything}

    # a case's 交办函: its unit's (and the county's), not another unit's
    _hidden(await get("projections", "/v1/cases/{other_case}/assignment-letter.docx", a))
    assert (await get("projections", "/v1/cases/{other_case}/assignment-letter.docx", b)).status_code == 200
    assert (await get("projections", "/v1/cases/{other_case}/assignment-letter.docx", leader)).status_code == 200

    # the county's documents and enforcement figures: not for units
    for route in (
        "/v1/stats/enforcement",
        "/v1/stats/enforcement/cases",
        "/v1/reports/work-summary",
        "/v1/reports/work-summary.docx",
        "/v1/exports/ledger.xlsx",
    ):
        _refused(await get("projections", route, a))
        assert (await get("projections", route, leader)).status_code == 200
    assert (await get("projections", "/v1/read-models", a)).status_code == 200  # generations, no case in it

    # 交办函: a unit reads the letters addressed to it only; the other documents of the work are the county's
    letters = (await get("projections", "/v1/documents/assignment-letters", leader, {"case_id": other})).json()
    county.ids["other_letter"] = letters["items"][0]["content"]["letter_no"]
    assert (await get("projections", "/v1/documents/assignment-letters/{other_letter}", b)).status_code == 200
    _hidden(await get("projections", "/v1/documents/assignment-letters/{other_letter}", a))
    assert (await get("projections", "/v1/documents/assignment-letters/{other_letter}.docx", b)).status_code == 200
    _hidden(await get("projections", "/v1/documents/assignment-letters/{other_letter}.docx", a))
    own_letters = (await get("projections", "/v1/documents/assignment-letters", a)).json()["items"]
    assert [item["content"]["unit"] for item in own_letters] == [OWN]
    county.ids |= {"kind": "meetings", "year": "2026", "number": "1", "round_id": "r", "meeting_id": "m"}
    for service, route, params in (
        ("projections", "/v1/stats/enforcement/year-on-year", None),
        ("projections", "/v1/stats/documents", None),
        ("projections", "/v1/documents/rounds", None),
        ("projections", "/v1/documents/bulletin-draft", {"from": "2026-01-01", "to": "2026-03-31"}),
        ("projections", "/v1/documents/bulletins/{year}/{number}", None),
        ("projections", "/v1/documents/bulletins/{year}/{number}.docx", None),
        ("projections", "/v1/documents/{kind}", None),
        ("accountability", "/v1/rounds/{round_id}", None),
        ("accountability", "/v1/bulletins/{year}/{number}", None),
        ("accountability", "/v1/summons-meetings/{meeting_id}", None),
        ("accountability", "/v1/meetings/{meeting_id}", None),
    ):
        _refused(await get(service, route, a, params))
        assert (await get(service, route, leader, params)).status_code in (200, 404)

    # Every read route a unit could call before is covered above: a new one needs its line here.
    reads = {
        (service, _shape(path))
        for service, table in MATRIX.items()
        for (method, path), allowed in table.items()
        if method == "GET" and allowed != EVERYONE and (R.UNIT in allowed or allowed == COUNTY)
    }
    assert reads <= county.read, f"read routes without a cross-unit check: {reads - county.read}"


async def test_a_reassigned_case_moves_out_of_the_former_units_sight_and_into_the_new_ones(county: County) -> None:
    """Own cases are those assigned to the unit now: each service follows a 重新交办."""
    intake, cases = county.clients["intake"], county.clients["cases"]
    sent = await intake.post(
        "/report",
        data={
            "title": "河道采砂",
            "description": "夜间作业",
            "township": "城关镇",
            "domain": "quarrying_sand",
            "address": "城关镇河西村",
        },
        headers={"Accept": "application/json"},
    )
    case_id = county.ids["case"] = sent.json()["issue_id"]
    await _until("case opened", lambda: _ok(cases.get(f"/v1/cases/{case_id}")))
    assert (await cases.post(f"/v1/cases/{case_id}/assign", json=five_definitions(unit=OTHER))).status_code == 200
    projections = county.clients["projections"]
    former, new = county.unit(OTHER), county.unit(OWN)
    routes = [
        ("cases", "/v1/cases/{case}"),
        ("cases", "/v1/cases/{case}/history"),
        ("intake", "/v1/reports/{case}"),
        ("projections", "/v1/cases/{case}/timeline"),
    ]
    for service, route in routes:
        path = route.format(case=case_id)
        await _until(
            f"{path} for the first unit",
            _answers(county.clients[service], path, former),
        )

    reassigned = await cases.post(f"/v1/cases/{case_id}/assign", json=five_definitions(unit=OWN, reason="职责调整"))
    assert reassigned.status_code == 200, reassigned.text
    for service, route in routes:
        path = route.format(case=case_id)
        await _until(
            f"{path} for the new unit",
            _answers(county.clients[service], path, new),
        )
        _hidden(await county.get(service, route, former))
    assert (await county.get("cases", "/v1/cases", former)).json()["total"] == 0
    behind = (await county.get("projections", "/v1/stats/closure-rates/cases", former)).json()
    assert behind["items"] == []
    assert [
        c["issue_id"]
        for c in (await projections.get("/v1/stats/closure-rates/cases", headers=new, auth=_no_auth)).json()["items"]
    ] == [case_id]
