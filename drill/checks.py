"""The drill's checks: pure functions from what was observed to what is wrong (no I/O).

Each finding names its kind: `loss` (acknowledged but missing), `duplicate` (there twice),
`order` (out of stream order), `phantom` (there but never acknowledged), `lag` (not caught up),
`mismatch` (read models differ from a fresh rebuild), `not_ready` (a service did not come back).
"""

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Finding:
    check: str
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"[{self.check}] {self.kind}: {self.detail}"


@dataclass(frozen=True)
class Record:
    """One event as read back from a topic."""

    topic: str
    partition: int
    offset: int
    event_id: str
    type: str
    stream_id: str
    stream_version: int
    payload: Mapping[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Stored:
    """One event of a case's history, as the cases service answers it."""

    event_id: str
    version: int
    type: str


@dataclass
class Tally:
    """What the checks counted, printed beside the findings."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, n: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + n


def _first_copies(records: Iterable[Record]) -> tuple[list[Record], int]:
    """The records in log order with repeats of an event id dropped, and how many repeats there were."""
    seen: set[str] = set()
    firsts: list[Record] = []
    repeats = 0
    for r in sorted(records, key=lambda r: (r.topic, r.partition, r.offset)):
        if r.event_id in seen:
            repeats += 1
            continue
        seen.add(r.event_id)
        firsts.append(r)
    return firsts, repeats


def reports_in_projections(
    accepted: Mapping[str, str], listed: list[str], total: int | None, tally: Tally
) -> list[Finding]:
    """Every issue that got a 202 is listed once by the projections; nothing else is listed."""
    findings: list[Finding] = []
    issues = set(accepted.values())
    counts = Counter(listed)
    tally.add("reports_accepted", len(accepted))
    tally.add("issues_in_projections", len(counts))
    missing = sorted(issues - counts.keys())
    if missing:
        findings.append(
            Finding("reports", "loss", f"{len(missing)} accepted reports not in the projections, e.g. {missing[:3]}")
        )
    doubled = sorted(i for i, n in counts.items() if n > 1)
    if doubled:
        findings.append(
            Finding("reports", "duplicate", f"{len(doubled)} issues listed more than once, e.g. {doubled[:3]}")
        )
    extra = sorted(counts.keys() - issues)
    if extra:
        findings.append(
            Finding("reports", "phantom", f"{len(extra)} issues in the projections that no 202 named, e.g. {extra[:3]}")
        )
    if total is not None and total != len(issues) and not findings:
        findings.append(
            Finding(
                "reports",
                "duplicate" if total > len(issues) else "loss",
                f"closure rates count {total} reports, {len(issues)} were accepted",
            )
        )
    return findings


def reports_on_topic(accepted: Mapping[str, str], records: list[Record], tally: Tally) -> list[Finding]:
    """Each accepted issue has exactly one IssueReported on intake.events (by event id)."""
    firsts, repeats = _first_copies(r for r in records if r.type == "IssueReported")
    tally.add("intake_redelivered_copies", repeats)
    per_issue = Counter(r.stream_id for r in firsts)
    issues = set(accepted.values())
    findings: list[Finding] = []
    missing = sorted(issues - per_issue.keys())
    if missing:
        findings.append(
            Finding(
                "intake topic", "loss", f"{len(missing)} accepted reports have no IssueReported, e.g. {missing[:3]}"
            )
        )
    doubled = sorted(i for i, n in per_issue.items() if n > 1 and i in issues)
    if doubled:
        findings.append(
            Finding(
                "intake topic",
                "duplicate",
                f"{len(doubled)} issues reported by two different events, e.g. {doubled[:3]}",
            )
        )
    extra = sorted(per_issue.keys() - issues)
    if extra:
        findings.append(
            Finding("intake topic", "phantom", f"{len(extra)} IssueReported for issues no 202 named, e.g. {extra[:3]}")
        )
    return findings


def case_streams(histories: Mapping[str, list[Stored] | None], records: list[Record], tally: Tally) -> list[Finding]:
    """Every case's history is on the topic once (by event id) and in stream order, and nothing else is."""
    findings: list[Finding] = []
    firsts, repeats = _first_copies(records)
    tally.add("cases_redelivered_copies", repeats)
    on_topic: dict[str, list[Record]] = defaultdict(list)
    for r in firsts:
        on_topic[r.stream_id].append(r)
    lost_cases = sorted(c for c, h in histories.items() if not h)
    if lost_cases:
        findings.append(
            Finding(
                "case streams", "loss", f"{len(lost_cases)} accepted reports never became a case, e.g. {lost_cases[:3]}"
            )
        )
    missing: list[str] = []
    phantom: list[str] = []
    doubled: list[str] = []
    disordered: list[str] = []
    for case_id, history in histories.items():
        if not history:
            continue
        tally.add("case_events_in_store", len(history))
        topic = on_topic.get(case_id, [])
        tally.add("case_events_on_topic", len(topic))
        stored = {e.event_id for e in history}
        published = {r.event_id for r in topic}
        if stored - published:
            missing.append(f"{case_id} v{sorted(e.version for e in history if e.event_id not in published)}")
        if published - stored:
            phantom.append(f"{case_id} {sorted(published - stored)[:2]}")
        versions = Counter(r.stream_version for r in topic)
        if any(n > 1 for n in versions.values()):
            doubled.append(f"{case_id} v{sorted(v for v, n in versions.items() if n > 1)}")
        order = [r.stream_version for r in topic]
        if order != sorted(order) or len({r.partition for r in topic}) > 1:
            disordered.append(f"{case_id} {order}")
    for kind, items, what in (
        ("loss", missing, "cases with stored events missing from the topic"),
        ("phantom", phantom, "cases with events on the topic that are not in their history"),
        ("duplicate", doubled, "cases with two different events for one version"),
        ("order", disordered, "cases whose events are out of stream order on the topic"),
    ):
        if items:
            findings.append(Finding("case streams", kind, f"{len(items)} {what}, e.g. {items[:3]}"))
    return findings


def deadlines(
    late: set[str],
    on_time: set[str],
    histories: Mapping[str, list[Stored] | None],
    cases_topic: list[Record],
    accountability_topic: list[Record],
    tally: Tally,
) -> list[Finding]:
    """Each case whose deadline passed missed it exactly once; each miss brought exactly one escalation."""
    findings: list[Finding] = []
    misses_of = {c: sum(1 for e in (h or []) if e.type == "DeadlineMissed") for c, h in histories.items()}
    never = sorted(c for c in late if misses_of.get(c, 0) == 0)
    twice = sorted(c for c in late | on_time if misses_of.get(c, 0) > 1)
    wrongly = sorted(c for c in on_time if misses_of.get(c, 0) > 0)
    tally.add("deadlines_missed", sum(misses_of.get(c, 0) for c in late))
    if never:
        findings.append(
            Finding(
                "deadlines", "loss", f"{len(never)} cases past their deadline without DeadlineMissed, e.g. {never[:3]}"
            )
        )
    if twice:
        findings.append(
            Finding(
                "deadlines",
                "duplicate",
                f"{len(twice)} cases with more than one DeadlineMissed for one deadline, e.g. {twice[:3]}",
            )
        )
    if wrongly:
        findings.append(
            Finding(
                "deadlines",
                "phantom",
                f"{len(wrongly)} cases closed in time that missed a deadline, e.g. {wrongly[:3]}",
            )
        )

    missed, _ = _first_copies(r for r in cases_topic if r.type == "DeadlineMissed")
    escalations, repeats = _first_copies(accountability_topic)
    tally.add("accountability_redelivered_copies", repeats)
    by_trigger: Counter[str] = Counter()
    for e in escalations:
        for trigger in e.payload.get("trigger_event_ids", ()):
            by_trigger[str(trigger)] += 1
    tally.add("escalations", sum(1 for e in escalations if e.payload.get("trigger_event_ids")))
    missed_ids = {r.event_id for r in missed}
    unescalated = sorted(r.stream_id for r in missed if by_trigger[r.event_id] == 0)
    multiple = sorted(r.stream_id for r in missed if by_trigger[r.event_id] > 1)
    strange = sorted(t for t in by_trigger if t not in missed_ids)
    if unescalated:
        findings.append(
            Finding(
                "escalations",
                "loss",
                f"{len(unescalated)} missed deadlines without an escalation, e.g. cases {unescalated[:3]}",
            )
        )
    if multiple:
        findings.append(
            Finding(
                "escalations",
                "duplicate",
                f"{len(multiple)} missed deadlines escalated more than once, e.g. cases {multiple[:3]}",
            )
        )
    if strange:
        findings.append(
            Finding(
                "escalations",
                "phantom",
                f"{len(strange)} escalations triggered by events that are not missed deadlines, e.g. {strange[:3]}",
            )
        )
    return findings


def caught_up(positions: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> list[Finding]:
    """The projections have applied every partition up to its log end."""
    behind = [
        f"{topic}[{partition}] lag {p.get('lag')}"
        for topic, partitions in positions.items()
        for partition, p in partitions.items()
        if p.get("lag") is None or p.get("lag") != 0
    ]
    if behind:
        return [Finding("projections", "lag", f"not caught up: {', '.join(behind[:4])}")]
    return []


def dead_letters(records: list[Record], tally: Tally) -> list[Finding]:
    """Nothing went to a dead-letter topic: a dead-lettered event is an effect that never happened."""
    tally.add("dead_lettered", len(records))
    if not records:
        return []
    topics = sorted({r.topic for r in records})
    return [
        Finding(
            "dead letters",
            "loss",
            f"{len(records)} messages on {', '.join(topics)}, e.g. {records[0].type} {records[0].event_id}",
        )
    ]


def consumers_caught_up(lags: Mapping[str, Mapping[str, int]], tally: Tally) -> list[Finding]:
    """Every consumer group of the services has committed up to the log end: none is stuck or dead."""
    tally.add("consumer_groups", len(lags))
    behind = sorted(
        f"{group} {sum(v for v in partitions.values() if v > 0)} behind"
        for group, partitions in lags.items()
        if any(v > 0 for v in partitions.values())
    )
    if behind:
        return [Finding("consumers", "lag", f"{len(behind)} consumer groups not at the log end: {behind[:3]}")]
    return []
