"""The report route's fast path (services/intake/api/fast_path.py) answers as the route does, byte for byte.

A query string sends the same request the whole way through FastAPI (the fast path takes only `POST /v1/reports`
without one; the route ignores it), so each request below is made both ways and the answers compared.
"""

import json
import uuid
from typing import Any

import httpx
import pytest

from services.intake.api.fast_path import ReportFastPath
from services.intake.handlers import Receipt, Submission
from services.intake.main import create_app
from services.intake.settings import IntakeSettings
from shared.auth import Role
from shared.errors import InvalidCommand, RuleViolation
from shared.eventstore import ConcurrencyConflict
from tests.integration.intake.conftest import ANONYMOUS, bearer, problem
from tests.support.service import serving

ROUTE = "/v1/reports?via=route"


@pytest.fixture
def fast_answers(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The actors of the reports the fast path accepted."""
    accepted: list[str] = []
    accept = ReportFastPath._accept

    async def counted(self: ReportFastPath, *args: Any, **kwargs: Any) -> None:
        accepted.append(args[4].actor)
        await accept(self, *args, **kwargs)

    monkeypatch.setattr(ReportFastPath, "_accept", counted)
    return accepted


def _comparable(answer: httpx.Response) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers and body, without what is new on every answer (the correlation id, a new report's ids)."""
    headers = [(k, v) for k, v in answer.headers.items() if k not in ("x-correlation-id", "content-length")]
    body = answer.content
    if answer.status_code == 202:
        receipt = answer.json()
        for key in ("issue_id", "report_id"):
            receipt[key] = "·"
        receipt["message"] = receipt["message"].replace(answer.json()["issue_id"], "·")
        body = json.dumps(receipt, ensure_ascii=False, separators=(",", ":")).encode()
    return answer.status_code, headers, body


async def test_an_official_report_is_taken_by_the_fast_path_and_answered_as_the_route_answers(
    client: httpx.AsyncClient, settings: IntakeSettings, fast_answers: list[str]
) -> None:
    staff = bearer(settings, Role.OPERATOR, subject="受理员甲")
    cid = uuid.uuid4().hex
    fast = await client.post(
        "/v1/reports",
        json=problem(source="hotline_12369", external_ref="R-1", township="河口镇"),
        headers={**staff, "X-Correlation-ID": cid},
    )
    routed = await client.post(
        ROUTE, json=problem(source="hotline_12369", external_ref="R-2", township="石门镇"), headers=staff
    )
    assert fast_answers == ["受理员甲"]
    assert fast.status_code == 202 and fast.headers["etag"] == '"1"'
    assert fast.headers["x-correlation-id"] == cid
    assert _comparable(fast) == _comparable(routed)
    assert list(fast.headers) == list(routed.headers)
    stored = (await client.get(f"/v1/reports/{fast.json()['issue_id']}", headers=staff)).json()
    assert stored["source"] == "hotline_12369" and stored["township"] == "河口镇"
    # The same reference again: the resend's answer, the same both ways.
    again_fast = await client.post(
        "/v1/reports", json=problem(source="hotline_12369", external_ref="R-1"), headers=staff
    )
    again_routed = await client.post(ROUTE, json=problem(source="hotline_12369", external_ref="R-1"), headers=staff)
    assert again_fast.json()["issue_id"] == fast.json()["issue_id"]
    assert again_fast.content == again_routed.content
    assert len(fast_answers) == 2


REFUSED: list[tuple[str, Role | None, dict[str, str], bytes]] = [
    ("malformed JSON", Role.OPERATOR, {}, b'{"title": "x",'),
    ("a missing field", Role.OPERATOR, {}, json.dumps({"title": "x"}).encode()),
    ("an unknown domain", Role.OPERATOR, {}, json.dumps(problem(domain="mars")).encode()),
    ("the province's source", Role.OPERATOR, {}, json.dumps(problem(source="province_platform")).encode()),
    ("a bad reporter phone", Role.OPERATOR, {}, json.dumps(problem(reporter={"name": "张三", "phone": "12"})).encode()),
    ("a JSON list", Role.OPERATOR, {}, b"[1, 2]"),
    ("a body that is not JSON", Role.OPERATOR, {"Content-Type": "text/plain"}, json.dumps(problem()).encode()),
    ("a role that may not report", Role.UNIT, {}, json.dumps(problem(source="media")).encode()),
    ("a public sender naming a batch", Role.PUBLIC, {}, json.dumps(problem(batch="第1批")).encode()),
    ("a bad token", None, {"Authorization": "Bearer not-a-token"}, json.dumps(problem()).encode()),
    ("no token and a reference", None, {}, json.dumps(problem(external_ref="X-1")).encode()),
]


@pytest.mark.parametrize(("case", "role", "headers", "body"), REFUSED, ids=[r[0] for r in REFUSED])
async def test_every_refusal_is_the_routes_own_answer(
    client: httpx.AsyncClient,
    settings: IntakeSettings,
    fast_answers: list[str],
    case: str,
    role: Role | None,
    headers: dict[str, str],
    body: bytes,
) -> None:
    sent = {"Content-Type": "application/json", **(bearer(settings, role) if role else {}), **headers}
    fast = await client.post("/v1/reports", content=body, headers=sent, auth=ANONYMOUS)
    routed = await client.post(ROUTE, content=body, headers=sent, auth=ANONYMOUS)
    assert fast.status_code in (401, 403, 422), case
    assert _comparable(fast) == _comparable(routed)
    assert fast_answers == []


RAISED: list[tuple[str, Exception]] = [
    ("a stream that moved on", ConcurrencyConflict("issue-1", 1, 2)),
    ("a rule of the decision", RuleViolation("closed", "问题已办结")),
    ("a later field check", InvalidCommand("township", "乡镇不在本县")),
]


@pytest.mark.parametrize(("case", "raised"), RAISED, ids=[r[0] for r in RAISED])
async def test_what_the_group_commit_raises_is_answered_by_the_apps_own_handlers(
    settings: IntakeSettings, fast_answers: list[str], case: str, raised: Exception
) -> None:
    async with serving(create_app(settings)) as (client, state):

        async def refuse(submission: Submission, actor: str) -> Receipt:
            raise raised

        state["deps"].reports.handle = refuse
        staff = bearer(settings, Role.OPERATOR)
        fast = await client.post("/v1/reports", json=problem(source="media"), headers=staff)
        routed = await client.post(ROUTE, json=problem(source="media"), headers=staff)
    assert fast_answers == ["tester"], case
    assert fast.status_code in (409, 422)
    assert _comparable(fast) == _comparable(routed)
    assert list(fast.headers) == list(routed.headers)
