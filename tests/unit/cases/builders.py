"""Commands and histories of one case for the unit tests: a fixed clock, sensible 五定."""

from datetime import UTC, datetime, timedelta
from functools import reduce

from services.cases import domain
from services.cases.commands import (
    Assign,
    Command,
    DeadlineSpec,
    OpenCase,
    RequestClosure,
    Verify,
)
from shared.contracts import Event
from shared.contracts.cases import AssignedLeader, Evidence
from shared.contracts.codes import Domain, Source

NOW = datetime(2025, 6, 2, 2, 0, tzinfo=UTC)  # a Monday, 10:00 in Shanghai
LEADER = AssignedLeader(name="王建国", post="城关镇党委书记", liaison="城关镇党政办督查组")
EVIDENCE = Evidence(description="整改后现场照片", file_name="after.jpg", sha256="a" * 64)
# The files stored for the case, as the API looks them up for a command that names them.
UPLOADED = {EVIDENCE.sha256: "image/jpeg"}


def at(**delta: float) -> datetime:
    return NOW + timedelta(**delta)


def open_case(case_id: str = "c-1") -> OpenCase:
    return OpenCase(
        case_id=case_id,
        source=Source.CENTRAL_INSPECTION,
        title="河道非法采砂",
        township="城关镇",
        domain=Domain.QUARRYING_SAND,
        reported_at=NOW - timedelta(days=1),
        batch="第二轮中央环保督察",
    )


def assign(unit: str = "城关镇人民政府", deadline: datetime | None = None, now: datetime = NOW) -> Assign:
    return Assign(
        problem="河道两岸被挖空",
        task="清理采砂设备，恢复河岸",
        unit=unit,
        leader=LEADER,
        deadline=DeadlineSpec(at=deadline or at(days=30)),
        measures="按期完成通报表扬，逾期约谈",
        now=now,
    )


def request_closure(now: datetime = NOW) -> RequestClosure:
    return RequestClosure(summary="设备已清理，河岸已复绿", evidence=(EVIDENCE,), now=now, uploaded=UPLOADED)


def verify(passed: bool = True, now: datetime = NOW, note: str | None = "现场核实") -> Verify:
    return Verify(verifier="县生态环境局 李娜", passed=passed, note=note, now=now)


def run(*commands: Command) -> tuple[domain.Case | None, list[Event]]:
    """Decides each command in turn on the folded state; a refusal propagates."""
    state: domain.Case | None = None
    events: list[Event] = []
    for command in commands:
        new = domain.decide(command, state)
        events += new
        state = reduce(domain.evolve, new, state)
    return state, events
