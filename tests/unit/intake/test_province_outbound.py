"""省级平台回传: what the province is told for each case event."""

from datetime import UTC, datetime, timedelta

from services.intake.province_outbound import CHANGES, Tracked, merged, to_province, track
from shared.contracts import Event
from shared.contracts.cases import (
    Assigned,
    AssignedLeader,
    CaseOpened,
    Closed,
    ClosureRejected,
    ClosureRequested,
    DeadlineMissed,
    Evidence,
    Reopened,
)
from shared.contracts.codes import CaseStatus, Domain, Source
from shared.contracts.province import ProvinceResultReported, ProvinceStatusChanged, StatusChange

AT = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)
DEADLINE = AT + timedelta(days=30)
LEADER = AssignedLeader(name="王县长", post="副县长", liaison=None)
EVIDENCE = Evidence(description="整改后现场照片", file_name="after.jpg", sha256="a" * 64)


def opened() -> CaseOpened:
    return CaseOpened(
        case_id="i-1",
        source=Source.PROVINCE_PLATFORM,
        title="砖厂粉尘",
        township="城关镇",
        domain=Domain.BRICK_TILE,
        reported_at=AT,
    )


def assigned() -> Assigned:
    return Assigned(
        problem="粉尘",
        task="安装除尘设施",
        unit="城关镇人民政府",
        leader=LEADER,
        deadline=DEADLINE,
        measures="约谈",
    )


NOTHING_YET = Tracked()


def tell(event: Event, tracked: Tracked = NOTHING_YET) -> tuple[Tracked, list[Event]]:
    after = track(tracked, event)
    return after, to_province(event, reference="SJ-1", issue_id="i-1", at=AT, tracked=after)


def test_an_assignment_tells_the_province_the_unit_deadline_and_status_in_its_reference() -> None:
    _, [event] = tell(assigned(), Tracked(status=CaseStatus.REPORTED))
    assert isinstance(event, ProvinceStatusChanged)
    assert (event.reference, event.issue_id, event.change, event.status) == (
        "SJ-1",
        "i-1",
        StatusChange.ASSIGNED,
        CaseStatus.ASSIGNED,
    )
    assert (event.status_label, event.unit, event.note) == ("整改中", "城关镇人民政府", "安装除尘设施")
    assert event.deadline == DEADLINE and event.deadline.utcoffset() == timedelta(hours=8)
    assert event.changed_at.isoformat() == "2026-07-01T10:00:00+08:00"


def test_closing_sends_the_status_and_the_result_with_the_units_summary_and_evidence() -> None:
    tracked, _ = tell(
        ClosureRequested(summary="已安装除尘设施并验收", evidence=[EVIDENCE]), Tracked(status=CaseStatus.ASSIGNED)
    )
    assert tracked.status is CaseStatus.CLOSURE_REQUESTED
    after, [status, result] = tell(Closed(verifier="督察办李四", note="现场核查无粉尘", unit="城关镇人民政府"), tracked)
    assert isinstance(status, ProvinceStatusChanged) and status.status is CaseStatus.CLOSED
    assert isinstance(result, ProvinceResultReported)
    assert (result.reference, result.summary, result.evidence, result.verifier) == (
        "SJ-1",
        "已安装除尘设施并验收",
        [EVIDENCE],
        "督察办李四",
    )
    assert result.verification_note == "现场核查无粉尘"
    assert after.status is CaseStatus.CLOSED


def test_a_rejected_closure_and_a_reopening_put_the_case_back_in_progress() -> None:
    rejected, [r] = tell(
        ClosureRejected(verifier="v", reason="仍有粉尘", unit="u"), Tracked(status=CaseStatus.CLOSURE_REQUESTED)
    )
    assert isinstance(r, ProvinceStatusChanged)
    assert (rejected.status, r.change, r.note) == (CaseStatus.ASSIGNED, StatusChange.CLOSURE_REJECTED, "仍有粉尘")
    reopened, [o] = tell(
        Reopened(reason="回头看发现反弹", new_deadline=DEADLINE, unit="u"), Tracked(status=CaseStatus.CLOSED)
    )
    assert isinstance(o, ProvinceStatusChanged)
    assert (reopened.status, o.change) == (CaseStatus.ASSIGNED, StatusChange.REOPENED)


def test_a_missed_deadline_is_told_without_changing_the_status() -> None:
    missed = DeadlineMissed(deadline=DEADLINE, late_seconds=5, unit="u", leader=LEADER, missed_count=2)
    after, [event] = tell(missed, Tracked(status=CaseStatus.ASSIGNED))
    assert after.status is CaseStatus.ASSIGNED
    assert isinstance(event, ProvinceStatusChanged)
    assert (event.change, event.status, event.note) == (
        StatusChange.DEADLINE_MISSED,
        CaseStatus.ASSIGNED,
        "已第 2 次超过整改时限",
    )


def test_a_case_opened_is_the_first_status_the_province_hears() -> None:
    after, [event] = tell(opened())
    assert after.status is CaseStatus.REPORTED
    assert isinstance(event, ProvinceStatusChanged) and event.change is StatusChange.OPENED


def test_a_merged_assignment_is_told_the_status_of_the_issue_it_joined() -> None:
    event = merged(reference="SJ-2", issue_id="i-1", at=AT, tracked=Tracked(status=CaseStatus.ASSIGNED))
    assert (event.change, event.status, event.reference) == (StatusChange.MERGED, CaseStatus.ASSIGNED, "SJ-2")


def test_every_status_changing_case_event_is_followed() -> None:
    names = {cls.__name__ for cls in CHANGES}
    assert {
        "CaseOpened",
        "Assigned",
        "Reassigned",
        "ClosureRequested",
        "Closed",
        "ClosureRejected",
        "Reopened",
    } <= names
