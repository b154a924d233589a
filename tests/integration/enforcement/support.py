"""Talking to an enforcement service under test."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from services.enforcement.settings import EnforcementSettings
from shared.contracts import Event
from shared.contracts.cases import (
    Assigned,
    AssignedLeader,
    CaseOpened,
    Closed,
    ClosureRequested,
    Evidence,
    ProgressReported,
    Reopened,
)
from shared.contracts.codes import Domain, Source
from shared.envelope import Envelope

TENCENT = "9144030071526726XG"  # 深圳市腾讯计算机系统有限公司
XIAOMI = "91110108551385082Q"  # 小米科技有限责任公司


@dataclass
class Enforcement:
    settings: EnforcementSettings
    client: httpx.AsyncClient

    async def open_case(self, credit_code: str = XIAOMI, **overrides: Any) -> str:
        body = case_body(credit_code, **overrides)
        response = await self.client.post("/v1/enforcement-cases", json=body, headers={"X-Actor": "wang"})
        assert response.status_code == 201, response.text
        case_id: str = response.json()["case_id"]
        return case_id

    async def command(self, case_id: str, what: str, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
        response = await self.client.post(f"/v1/enforcement-cases/{case_id}/{what}", json=body)
        assert response.status_code == status, response.text
        result: dict[str, Any] = response.json()
        return result


def case_body(credit_code: str = XIAOMI, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "enterprise": {"name": "某某化工有限公司", "credit_code": credit_code, "address": "城关镇工业园1号"},
        "violation": "通过暗管排放超标废水",
        "legal_basis": "《环境保护法》第六十三条",
        "officer": "王执法",
    }
    body.update(overrides)
    return body


LEADER = AssignedLeader(name="李县长", post="副县长", liaison=None)
DEADLINE = datetime(2030, 1, 1, tzinfo=UTC)


def case_events(issue_id: str) -> list[Envelope]:
    """A rectification case from 交办 to 销号 and back (回头看), as the cases service appends it."""
    events: list[Event] = [
        CaseOpened(
            case_id=issue_id,
            source=Source.HOTLINE_12369,
            title="化工厂夜间偷排",
            township="城关镇",
            domain=Domain.WATER,
            reported_at=datetime(2024, 3, 1, tzinfo=UTC),
        ),
        Assigned(
            problem="偷排", task="停止偷排", unit="县生态环境局", leader=LEADER, deadline=DEADLINE, measures="约谈"
        ),
        ProgressReported(note="已立案查处", percent=50),
        ClosureRequested(
            summary="暗管已拆除",
            evidence=[Evidence(description="现场照片", file_name="a.jpg", sha256="0" * 64)],
        ),
        Closed(verifier="督察办", unit="县生态环境局"),
        Reopened(reason="回头看发现反弹", new_deadline=DEADLINE + timedelta(days=30), unit="县生态环境局"),
    ]
    return [
        Envelope.wrap(e, stream_id=issue_id, stream_version=v, actor="cases", correlation_id=issue_id)
        for v, e in enumerate(events, start=1)
    ]
