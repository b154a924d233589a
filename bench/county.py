"""A simulated county's events on the four topics, with what really happened to each case.

Deterministic for a seed. The generator knows each case's state after every step it takes, so
tests can check the read models against that knowledge, not only against themselves.
"""

import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from aiokafka import AIOKafkaProducer

from services.projections.read_tables.facts import TOPIC_OF
from shared.clock import now as clock_now
from shared.contracts import accountability as acc
from shared.contracts import cases, enforcement, intake
from shared.contracts.base import Event
from shared.contracts.codes import Domain, MeasureKind, Source
from shared.envelope import Envelope, to_record
from shared.settings import ServiceSettings

TOWNSHIPS = [
    "城关镇",
    "河西镇",
    "龙泉镇",
    "白马乡",
    "青山乡",
    "桃源镇",
    "石桥镇",
    "柳林乡",
    "新华镇",
    "清水乡",
    "云台乡",
    "金山镇",
]
UNITS = [
    "生态环境局",
    "农业农村局",
    "畜牧水产中心",
    "自然资源局",
    "住建局",
    "城管局",
    "应急管理局",
    "交通运输局",
    "公安交警大队",
]
LEADERS = [("王建国", "副县长"), ("李红", "县委常委"), ("张伟", "副县长"), ("刘洋", "县政府党组成员")]
BATCHES = {
    Source.CENTRAL_INSPECTION: ["第二轮中央环保督察", "第三轮中央环保督察"],
    Source.PROVINCIAL_INSPECTION: ["第一轮省级环保督察", "第二轮省级环保督察"],
}
PERSONS = ["赵一", "钱二", "孙三", "李四", "周五", "吴六", "郑七", "王八", "冯九", "陈十"]
CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
DAY = timedelta(days=1)
E = TypeVar("E", bound=Event)
# The deadlines the county missed: (when, unit, case id, DeadlineMissed event id), for the ladder that follows.
Misses = list[tuple[datetime, str, str, str]]


@dataclass
class Step:
    """A case's state after one of its events."""

    at: datetime
    status: str
    deadline: datetime | None
    unit: str | None
    reopened: int


@dataclass
class Issue:
    issue_id: str
    source: Source
    township: str
    domain: Domain
    batch: str | None
    reported_at: datetime
    steps: list[Step] = field(default_factory=list)

    def state_at(self, moment: datetime) -> Step | None:
        known = [step for step in self.steps if step.at <= moment]
        return known[-1] if known else None

    def standing_at(self, moment: datetime) -> str:
        step = self.state_at(moment)
        if step is None:
            return "on_schedule"
        if step.status == "closed":
            return "closed"
        return "overdue" if step.deadline is not None and step.deadline < moment else "on_schedule"


@dataclass
class County:
    issues: list[Issue]
    envelopes: list[Envelope]

    def figures(self, moment: datetime, key: str = "source") -> dict[str, dict[str, int]]:
        """What the closure rates must say at the moment, grouped by an issue attribute."""
        out: dict[str, dict[str, int]] = {}
        for issue in self.issues:
            if issue.reported_at > moment:
                continue
            value = getattr(issue, key)
            group = out.setdefault(str(value.value if hasattr(value, "value") else value or ""), defaultdict(int))
            standing = issue.standing_at(moment)
            step = issue.state_at(moment)
            group["total"] += 1
            group[standing] += 1
            group["reopened"] += 1 if step and step.reopened else 0
        return {
            k: {
                "total": v["total"],
                "closed": v["closed"],
                "on_schedule": v["on_schedule"],
                "overdue": v["overdue"],
                "reopened": v["reopened"],
            }
            for k, v in out.items()
        }

    def of_type(self, *types: type[Event]) -> list[Envelope]:
        names = {t.event_type() for t in types}
        return [e for e in self.envelopes if e.type in names]

    def payloads(self, kind: type[E]) -> list[E]:
        """The payloads of one event type, typed as that type."""
        return [e.payload for e in self.envelopes if isinstance(e.payload, kind)]


class _Streams:
    """Hands out stream versions (each service's event store has its own streams) and deterministic event ids."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.versions: dict[tuple[str, str], int] = defaultdict(int)
        self.envelopes: list[Envelope] = []

    def emit(self, stream: str, event: Event, at: datetime, actor: str = "simulation") -> Envelope:
        version = (TOPIC_OF[event.event_type()], stream)
        self.versions[version] += 1
        envelope = Envelope(
            event_id=uuid.UUID(int=self.rng.getrandbits(128), version=4),
            type=event.event_type(),
            schema_version=event.schema_version,
            stream_id=stream,
            stream_version=self.versions[version],
            occurred_at=at,
            correlation_id=stream,
            actor=actor,
            payload=event,
        )
        self.envelopes.append(envelope)
        return envelope


def _credit_code(rng: random.Random) -> str:
    return (
        "91"
        + "".join(rng.choice("0123456789") for _ in range(6))
        + "".join(rng.choice(CREDIT_CHARS) for _ in range(10))
    )


def simulate(seed: int = 7, issues: int = 40, *, now: datetime | None = None, span_days: int = 500) -> County:
    """A county's last `span_days`: reports, cases to closure (or not), enforcement and accountability."""
    rng = random.Random(seed)
    now = now or clock_now()
    streams = _Streams(rng)
    start = now - timedelta(days=span_days)
    enterprises = [
        enforcement.Enterprise(name=f"{t}{kind}有限公司", credit_code=_credit_code(rng), address=f"{t}工业园")
        for t, kind in zip(TOWNSHIPS, ["砂石", "砖瓦", "混凝土", "养殖", "建材", "化工"] * 2, strict=False)
    ][: max(2, issues // 6)]
    misses: Misses = []
    all_issues = []
    for n in range(issues):
        issue = _case(rng, streams, n, start, now, misses)
        all_issues.append(issue)
        if rng.random() < 0.3:
            _enforcement_case(rng, streams, issue, rng.choice(enterprises), now)
    _accountability(rng, streams, misses, now)
    streams.envelopes.sort(key=lambda e: (e.occurred_at, e.stream_id, e.stream_version))
    return County(issues=all_issues, envelopes=streams.envelopes)


class _Case:
    """One case's life: a clock that emits DeadlineMissed whenever it passes an open case's deadline."""

    def __init__(self, streams: _Streams, issue: Issue, now: datetime, misses: Misses) -> None:
        self.streams, self.issue, self.now, self.misses = streams, issue, now, misses
        self.t = issue.reported_at
        self.status = "reported"
        self.deadline: datetime | None = None
        self.missed_for: datetime | None = None
        self.missed = 0
        self.reopened = 0
        self.unit: str | None = None
        self.leader: cases.AssignedLeader | None = None

    def advance(self, when: datetime) -> bool:
        """Moves the clock to `when`; False (and nothing emitted at `when`) if that is after now."""
        deadline = self.deadline
        if (
            deadline is not None
            and self.status != "closed"
            and self.missed_for != deadline
            and deadline + timedelta(seconds=1) < min(when, self.now)
        ):
            assert self.unit and self.leader
            self.missed += 1
            self.missed_for = deadline
            missed = self.emit(
                cases.DeadlineMissed(
                    deadline=deadline,
                    late_seconds=1,
                    unit=self.unit,
                    leader=self.leader.named(),
                    missed_count=self.missed,
                ),
                deadline + timedelta(seconds=1),
            )
            self.misses.append((missed.occurred_at, self.unit, self.issue.issue_id, str(missed.event_id)))
        if when > self.now:
            return False
        self.t = when
        return True

    def emit(self, event: Event, at: datetime, *, status: str | None = None) -> Envelope:
        self.status = status or self.status
        envelope = self.streams.emit(self.issue.issue_id, event, at)
        self.issue.steps.append(Step(at, self.status, self.deadline, self.unit, self.reopened))
        return envelope

    def step(self, event: Event, after: timedelta, *, status: str | None = None) -> bool:
        if not self.advance(self.t + after):
            return False
        self.emit(event, self.t, status=status)
        return True


def _case(rng: random.Random, streams: _Streams, n: int, start: datetime, now: datetime, misses: Misses) -> Issue:
    source = rng.choice(list(Source))
    township = rng.choice(TOWNSHIPS)
    issue = Issue(
        issue_id=f"issue-{n:05d}-{rng.getrandbits(32):08x}",
        source=source,
        township=township,
        domain=rng.choice(list(Domain)),
        batch=rng.choice(BATCHES[source]) if source in BATCHES else None,
        reported_at=start + timedelta(minutes=rng.randrange(int((now - start).total_seconds() // 60) - 60 * 24 * 3)),
    )
    title = f"{township}{n}号问题"
    streams.emit(
        issue.issue_id,
        intake.IssueReported(
            issue_id=issue.issue_id,
            source=source,
            title=title,
            description="群众反映的环境问题",
            township=township,
            domain=issue.domain,
            batch=issue.batch,
            external_ref=f"JB-{n:05d}",
        ),
        issue.reported_at,
        actor="public",
    )
    case = _Case(streams, issue, now, misses)
    case.step(
        cases.CaseOpened(
            case_id=issue.issue_id,
            source=source,
            title=title,
            township=township,
            domain=issue.domain,
            batch=issue.batch,
            reported_at=issue.reported_at,
        ),
        timedelta(minutes=1),
    )
    if rng.random() < 0.08:
        return issue  # 待交办
    case.unit = rng.choice(UNITS)
    case.leader = cases.AssignedLeader(name=(leader := rng.choice(LEADERS))[0], post=leader[1], liaison=None)
    assigned_at = case.t + timedelta(hours=rng.randrange(2, 72))
    case.deadline = assigned_at + timedelta(days=rng.randrange(5, 120), hours=rng.randrange(24))
    assigned = cases.Assigned(
        problem=f"{township}存在环境问题",
        task="彻底整改到位",
        unit=case.unit,
        leader=case.leader,
        deadline=case.deadline,
        measures="按期未完成的，约谈责任单位主要负责人",
    )
    if not case.step(assigned, assigned_at - case.t, status="assigned"):
        return issue
    for _ in range(rng.randrange(1, 5)):  # rounds of work, each ending in a verification
        if case.deadline < case.t and rng.random() < 0.5:
            previous, new = case.deadline, case.t + timedelta(days=rng.randrange(10, 60))
            extended = cases.DeadlineExtended(
                previous_deadline=previous, new_deadline=new, reason="工程量大", approved_by="县督察办"
            )
            case.deadline = new
            if not case.step(extended, timedelta(hours=1)):
                return issue
        if rng.random() < 0.3 and not case.step(
            cases.ProgressReported(note="正在整改", percent=rng.randrange(10, 90)), timedelta(days=rng.uniform(1, 30))
        ):
            return issue
        requested = cases.ClosureRequested(
            summary="已整改完毕",
            evidence=[cases.Evidence(description="整改后照片", file_name="after.jpg", sha256="a" * 64)],
        )
        if not case.step(requested, timedelta(days=rng.uniform(1, 120)), status="closure_requested"):
            return issue
        verified_after = timedelta(days=rng.uniform(0.5, 5))
        if rng.random() < 0.2:
            rejected = cases.ClosureRejected(verifier="县督察办", reason="整改不到位", unit=case.unit)
            if not case.step(rejected, verified_after, status="assigned"):
                return issue
            continue
        if not case.step(
            cases.Closed(verifier="县督察办", note="验收通过", unit=case.unit), verified_after, status="closed"
        ):
            return issue
        if rng.random() > 0.25:
            return issue
        reopen_at = case.t + timedelta(days=rng.uniform(10, 60))  # 回头看
        new_deadline = reopen_at + timedelta(days=rng.randrange(10, 60))
        if reopen_at > now:
            return issue
        case.reopened += 1
        case.deadline = new_deadline
        case.step(
            cases.Reopened(reason="回头看发现反弹", new_deadline=new_deadline, unit=case.unit),
            reopen_at - case.t,
            status="assigned",
        )
    case.advance(now)  # a deadline passed since the last event is missed too
    return issue


def _enforcement_case(
    rng: random.Random, streams: _Streams, issue: Issue, enterprise: enforcement.Enterprise, now: datetime
) -> None:
    case_id = f"enf-{issue.issue_id}"
    t = issue.reported_at + timedelta(days=rng.uniform(1, 20))
    if t > now:
        return
    streams.emit(
        case_id,
        enforcement.EnforcementCaseOpened(
            case_id=case_id,
            enterprise=enterprise,
            violation="超标排放",
            legal_basis="《环境保护法》第六十三条",
            officer="执法大队",
            issue_id=issue.issue_id,
        ),
        t,
        actor="enforcement",
    )
    steps: list[Event] = []
    fine = rng.randrange(1, 500) * 100_000 + rng.choice([0, 50, 1234])
    steps.append(
        enforcement.PenaltyIssued(
            penalty_id=f"{case_id}-p1",
            amount_fen=fine,
            basis=enforcement.PenaltyBasis.FINE,
            decision_no=f"环罚〔2025〕{rng.randrange(1, 999)}号",
        )
    )
    if rng.random() < 0.6:
        steps.append(
            enforcement.PenaltyPaid(penalty_id=f"{case_id}-p1", amount_fen=fine, paid_on=(t + 30 * DAY).date())
        )
    for round_no in range(rng.choice([0, 0, 1, 2])):
        days = rng.randrange(5, 40)
        steps.append(
            enforcement.PenaltyIssued(
                penalty_id=f"{case_id}-d{round_no}",
                amount_fen=fine * days,
                basis=enforcement.PenaltyBasis.DAILY_CONTINUOUS,
                decision_no=f"环按日罚〔2025〕{round_no + 1}号",
                days=days,
                daily_amount_fen=fine,
            )
        )
    if rng.random() < 0.3:
        steps.append(
            enforcement.DetentionOrdered(
                persons=[
                    enforcement.DetainedPerson(name=p, days=rng.randrange(5, 15))
                    for p in rng.sample(PERSONS, rng.randrange(1, 3))
                ],
                police_unit="县公安局",
            )
        )
    if rng.random() < 0.15:
        steps.append(
            enforcement.CriminalMeasuresTaken(
                persons=[enforcement.Person(name=rng.choice(PERSONS))], measure="刑事拘留", police_unit="县公安局"
            )
        )
    if rng.random() < 0.1:
        steps.append(
            enforcement.ReferredForProsecution(
                persons=[enforcement.Person(name=rng.choice(PERSONS))], procuratorate="县人民检察院"
            )
        )
    if rng.random() < 0.5:
        steps.append(enforcement.EnforcementCaseClosed(outcome="处罚到位，已整改"))
    for event in steps:
        t += timedelta(days=rng.uniform(1, 40))
        if t > now:
            return
        streams.emit(case_id, event, t, actor="enforcement")


def _accountability(rng: random.Random, streams: _Streams, misses: Misses, now: datetime) -> None:
    """The ladder per unit on each miss, and some measures (a few revoked)."""
    count: dict[str, int] = defaultdict(int)
    for missed_at, unit, case_id, trigger in sorted(misses):
        count[unit] += 1
        level = count[unit]
        t = missed_at + timedelta(minutes=5)
        common = {"unit": unit, "case_ids": [case_id], "trigger_event_ids": [trigger], "level": float(level)}
        stream = f"unit:{unit}"
        if level == 1:
            streams.emit(stream, acc.WarningIssued(**common), t, actor="accountability")
        elif level == 2:
            streams.emit(
                stream, acc.SummonsIssued(**common, summons_date=(t + 3 * DAY).date()), t, actor="accountability"
            )
        else:
            streams.emit(stream, acc.CriticismNoticeIssued(**common), t, actor="accountability")
            streams.emit(stream, acc.DisciplineReferralMade(**common), t + timedelta(seconds=1), actor="accountability")
        if rng.random() < 0.6:
            kind = rng.choice(list(MeasureKind))
            person = kind in {
                MeasureKind.CRITICISM_EDUCATION,
                MeasureKind.WRITTEN_SELF_CRITICISM,
                MeasureKind.ADMONISHMENT_TALK,
                MeasureKind.REMINDER_TALK,
                MeasureKind.WARNING_TALK,
            }
            target = (
                acc.Target(kind=acc.TargetKind.PERSON, unit=unit, name=rng.choice(PERSONS), post="科长")
                if person
                else acc.Target(kind=acc.TargetKind.UNIT, unit=unit)
            )
            measure_id = f"m-{case_id}-{level}"
            at = t + timedelta(days=rng.uniform(1, 20))
            if at > now:
                continue
            streams.emit(
                f"measure:{measure_id}",
                acc.MeasureImposed(
                    measure_id=measure_id,
                    target=target,
                    measure=kind,
                    reason="整改超期",
                    case_ids=[case_id],
                    imposed_by="县纪委监委",
                ),
                at,
                actor="discipline",
            )
            revoked_at = at + timedelta(days=rng.uniform(1, 30))
            if rng.random() < 0.2 and revoked_at <= now:
                streams.emit(
                    f"measure:{measure_id}",
                    acc.MeasureRevoked(measure_id=measure_id, reason="认定有误"),
                    revoked_at,
                    actor="discipline",
                )


async def publish(settings: ServiceSettings, envelopes: list[Envelope]) -> None:
    """Puts the events on the test's topics as the services' relays would (key = stream id, idempotent: a retried
    batch, e.g. after a leader moved on a new topic, keeps its place in the partition's order)."""
    producer = AIOKafkaProducer(**settings.broker.client_options(), linger_ms=20, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        pending = []
        for envelope in envelopes:
            short = TOPIC_OF[envelope.type]
            key, value, headers = to_record(envelope, source=f"/county/{short}")
            pending.append(
                await producer.send(settings.topic(f"{short}.events"), value=value, key=key, headers=headers)
            )
        await producer.flush()
        for delivery in pending:
            await delivery
    finally:
        await producer.stop()
