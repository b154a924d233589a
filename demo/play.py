"""Playing the year through the services' HTTP APIs: reports, the closed loop, enforcement and measures.

A month of the year lasts `Pace.month_seconds`. Deadlines meant to be missed are a few seconds ahead
and are left to pass: cases' own poller records the miss (DeadlineMissed), accountability escalates.

After a passed 验收, each case goes through the closure procedure (销号工作规程) its source takes under
the stack's policy: 公示 (`make demo` starts the stack with demo/closure_policy.toml, whose 公示期 lasts seconds
as the year's months do; one case in twenty-five draws an objection on the public page and is verified again,
every other objection upheld and the case sent back to the unit), 审签 by the leader, 复核 by the province (the
demo answers on province.inbound as the province's platform would, one in eight rejected once), then 销号 and 报备.
On a stack whose 公示期 is days, cases stay 公示中, to be completed in the workbench once it is over. Under a
policy with no steps 验收 closes at once, as before.
"""

import asyncio
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from PIL import Image

from demo import county as names
from demo.client import Body, County, DemoError
from demo.plan import MONTHS, EnforcementCase, Fate, Measure, Problem, Year
from demo.province import Province
from shared.auth import Role
from shared.clock import SHANGHAI, now
from shared.contracts.codes import Source

OFFICE = "县督察办 李娜"
OPERATOR = "12369受理员 陈静"
DISCIPLINE = "县纪委监委 周强"
ENFORCER = "县生态环境综合执法大队 王刚"
VERIFIER = "县督察办验收组 刘洋"
LEADER = "副县长 陈明"  # 审签
HOTLINES = (Source.HOTLINE_12369, Source.COUNTY_HOTLINE)
INSPECTIONS = (Source.SELF_INSPECTION, Source.COVERT_INSPECTION)
# The 督察办's own unit, which leads the joint inspection rounds (联合督查).
OFFICE_UNIT = "县环保督察整改工作领导小组办公室"
MISSED = (Fate.MISSED_ONCE, Fate.MISSED_TWICE, Fate.MISSED_THRICE)


@dataclass(frozen=True)
class Pace:
    month_seconds: float = 5.0  # how long a month of the year lasts
    deadline_seconds: float = 4.0  # a deadline meant to be missed is this far ahead
    poll_seconds: float = 0.3
    wait_seconds: float = 120.0  # the longest wait for a case to open or a deadline to be missed
    notice_wait_seconds: float = 120.0  # a 公示 ending later than this is left 公示中 (the stack's 公示期 is days)


@dataclass
class Tally:
    """What the run did, for its closing summary."""

    reported: int = 0
    assigned: int = 0
    closed: int = 0
    rejected: int = 0
    missed: int = 0
    reopened: int = 0
    in_notice: int = 0  # 公示中 at the end of the run (a 公示期 longer than the demo waits: the stack's policy)
    objections: int = 0  # 公示异议 filed on the public page
    reviewed: int = 0  # 复核 answered by the province (passed or rejected)
    review_rejected: int = 0
    in_review: int = 0  # 待复核 at the end of the run
    filed: int = 0  # 销号报备
    enforcement_cases: int = 0
    measures: int = 0
    revoked: int = 0
    documents: int = 0


def site_photo(problem: Problem) -> bytes:
    """A small picture standing for the unit's photo of the site after the work (整改后现场照片), one per problem."""
    digest = hashlib.sha256(f"{problem.number}:{problem.title}".encode()).digest()
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (digest[0], digest[1], digest[2])).save(out, format="PNG")
    return out.getvalue()


class Player:
    def __init__(self, county: County, year: Year, pace: Pace, province: Province | None = None) -> None:
        self.county = county
        self.province = province
        self._objected: set[str] = set()  # once each: the second 公示 runs its course
        self._rejected: set[str] = set()
        self.year = year
        self.pace = pace
        self.ids: dict[int, str] = {}
        self._reported = {p.number: asyncio.Event() for p in year.problems}
        self.tally = Tally()

    async def play(self) -> None:
        """Month by month: the month's problems and enforcement cases start; measures close the year."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        async with asyncio.TaskGroup() as flows:
            for month in range(MONTHS):
                for problem in (p for p in self.year.problems if p.month == month):
                    flows.create_task(self.problem(problem))
                for case in (c for c in self.year.enforcement if c.month == month):
                    flows.create_task(self.enforcement_case(case))
                await asyncio.sleep(max(0.0, start + (month + 1) * self.pace.month_seconds - loop.time()))
        async with asyncio.TaskGroup() as year_end:
            for measure in self.year.measures:
                year_end.create_task(self.measure(measure))
        await self.documents()

    async def months(self, count: float) -> None:
        await asyncio.sleep(count * self.pace.month_seconds)

    # ------------------------------------------------------------ 受理 → 交办 → 反馈 → 销号

    async def problem(self, p: Problem) -> None:
        issue = await self.report(p)
        self.ids[p.number] = issue
        self._reported[p.number].set()
        await self.opened(issue)
        if p.fate is Fate.UNASSIGNED:
            return
        await self.months(0.2)
        remaining = max(MONTHS - p.month - 1, 0) + 0.5  # the year's months left: rectify before it ends
        work = min(p.months_to_close, remaining)
        if p.misses:
            await self.assign(p, issue, miss=True)
        else:
            await self.assign(p, issue, working_days=p.working_days)
        match p.fate:
            case Fate.IN_PROGRESS:
                await self.progress(p, issue, 40)
            case Fate.AWAITING_VERIFICATION:
                await self.progress(p, issue, 80)
                await self.months(work / 2)
                await self.request_closure(p, issue)
            case Fate.CLOSED | Fate.REOPENED:
                await self.rectify(p, issue, work)
                # 回头看 reopens a closed case only: one still in its 公示 is not closed yet
                if await self.verify(p, issue, passed=True) == "closed" and p.fate is Fate.REOPENED:
                    await self.months(min(1.0, remaining / 2))
                    await self.reopen(issue)
            case Fate.CLOSED_AFTER_REJECTION:
                await self.rectify(p, issue, work / 2)
                await self.verify(p, issue, passed=False)
                await self.rectify(p, issue, work / 2)
                await self.verify(p, issue, passed=True)
            case Fate.MISSED_ONCE | Fate.MISSED_TWICE | Fate.MISSED_THRICE:
                await self.progress(p, issue, 20)
                await self.missed(issue, 1)
                for count in range(2, p.misses + 1):
                    await self.supervise(issue, count)
                    await self.extend(issue)
                    await self.missed(issue, count)
            case Fate.CLOSED_LATE:
                await self.missed(issue, 1)
                await self.rectify(p, issue, 0.5)
                await self.verify(p, issue, passed=True)

    async def report(self, p: Problem) -> str:
        problem = {"title": p.title, "description": p.description, "township": p.township, "domain": p.domain.value}
        intake = self.county.urls.intake
        if p.source in HOTLINES:
            body = {**problem, "line": p.source.value, "call_ref": p.reference}
            answer = await self._send("POST", f"{intake}/v1/hotline-calls", Role.OPERATOR, OPERATOR, body=body)
        elif p.source in INSPECTIONS:
            body = {**problem, "kind": p.source.value, "inspection_ref": p.reference}
            answer = await self._send("POST", f"{intake}/v1/inspections", Role.INSPECTION_OFFICE, OFFICE, body=body)
        else:
            # 督察交办 are entered by the inspection office, letters and press reports by an operator: staff with a
            # token, whom intake does not limit as it limits anonymous submissions per address.
            body = {**problem, "source": p.source.value, "batch": p.batch, "external_ref": p.reference}
            role, who = (Role.INSPECTION_OFFICE, OFFICE) if p.batch else (Role.OPERATOR, OPERATOR)
            answer = await self._send("POST", f"{intake}/v1/reports", role, who, body=body)
        if answer["status"] != "accepted":
            raise DemoError(f"问题 {p.title} 未作为新问题受理：{answer['message']}")
        self.tally.reported += 1
        return str(answer["issue_id"])

    async def opened(self, issue: str) -> None:
        """Cases opens the case from intake.events: wait until it answers for it."""
        url = f"{self.county.urls.cases}/v1/cases/{issue}"
        deadline = asyncio.get_running_loop().time() + self.pace.wait_seconds
        while await self._send("GET", url, Role.LEADER, "demo", missing_ok=True) is None:
            if asyncio.get_running_loop().time() > deadline:
                raise DemoError(f"整改案件 {issue} 在 {self.pace.wait_seconds:.0f} 秒内未立案：请检查 cases 服务")
            await asyncio.sleep(self.pace.poll_seconds)

    async def missed(self, issue: str, count: int) -> None:
        """Waits for the `count`th DeadlineMissed, which cases' deadline poller records."""
        url = f"{self.county.urls.cases}/v1/cases/{issue}"
        deadline = asyncio.get_running_loop().time() + self.pace.wait_seconds
        while True:
            case = await self._send("GET", url, Role.LEADER, "demo")
            if case["times_missed"] >= count:
                self.tally.missed += 1
                return
            if asyncio.get_running_loop().time() > deadline:
                raise DemoError(f"整改案件 {issue} 的时限已过，但 {self.pace.wait_seconds:.0f} 秒内未记录超期")
            await asyncio.sleep(self.pace.poll_seconds)

    async def assign(self, p: Problem, issue: str, *, miss: bool = False, working_days: int | None = None) -> None:
        body: dict[str, Any] = {
            "problem": p.description,
            "task": p.task,
            "unit": p.unit,
            "leader": {"name": p.leader.name, "post": p.leader.post},
            "measures": "按期完成的予以通报表扬；逾期未完成的，按督办问责办法约谈、通报",
        }
        sent = self.ahead(body, "deadline") if miss else {**body, "deadline_working_days": working_days}
        await self._case(issue, "assign", Role.INSPECTION_OFFICE, OFFICE, sent)
        self.tally.assigned += 1

    async def rectify(self, p: Problem, issue: str, months: float) -> None:
        """The unit works on it, reports progress half way, and asks for closure (申请销号)."""
        await self.months(months / 2)
        await self.progress(p, issue, 60)
        await self.months(months / 2)
        await self.request_closure(p, issue)

    async def progress(self, p: Problem, issue: str, percent: int) -> None:
        body = {"note": f"已完成{p.task.split('，')[0]}等工作，整改进度{percent}%", "percent": percent}
        await self._case(issue, "progress", Role.UNIT, f"{p.unit} 联络员", body, unit=p.unit)

    async def request_closure(self, p: Problem, issue: str) -> None:
        """The unit uploads its photo of the site (佐证材料; the same photo again is the same file) and names it."""
        url = f"{self.county.urls.cases}/v1/cases/{issue}/evidence"
        photo = {"file": (f"整改后-{p.number}.png", site_photo(p))}
        stored = await self.county.send(
            "POST", url, role=Role.UNIT, subject=f"{p.unit} 联络员", unit=p.unit, files=photo
        )
        assert stored is not None
        evidence = [{"description": "整改后现场照片", "file_name": stored["file_name"], "sha256": stored["sha256"]}]
        body = {"summary": f"{p.task}，已整改到位", "evidence": evidence}
        await self._case(issue, "request-closure", Role.UNIT, f"{p.unit} 联络员", body, unit=p.unit)

    async def verify(self, p: Problem, issue: str, *, passed: bool) -> str:
        """The case's status once the demo has taken every step it can."""
        body: dict[str, Any] = {"passed": passed, "verifier": VERIFIER}
        body["note"] = "现场核实已整改到位，同意销号" if passed else "现场仍有问题残留，整改不彻底，退回继续整改"
        answer = await self._case(issue, "verify", Role.INSPECTION_OFFICE, OFFICE, body)
        if passed:
            return await self.closure_procedure(p, issue, str(answer["status"]))
        self.tally.rejected += 1
        return str(answer["status"])

    async def closure_procedure(self, p: Problem, issue: str, status: str) -> str:
        """销号工作规程 from `status` on, each step by its role, until 销号 and 报备, or a step that waits longer than
        the demo does (a 公示期 of days, a province that does not answer)."""
        while True:
            match status:
                case "awaiting_notice":
                    body = {"summary": f"{p.title}：{p.task}，已整改到位，现予公示"}
                    answer = await self._case(issue, "start-notice", Role.INSPECTION_OFFICE, OFFICE, body)
                case "in_notice":
                    status = await self.notice_period(p, issue)
                    if status == "in_notice":
                        self.tally.in_notice += 1
                        return status
                    if status == "closure_requested":  # an objection: the 督察办 checks the site again
                        if p.objection_upheld:  # 异议成立: back to the unit, rectified, verified again
                            await self.verify(p, issue, passed=False)
                            await self.rectify(p, issue, 0.5)
                        return await self.verify(p, issue, passed=True)
                    continue
                case "awaiting_signoff":
                    body = {"opinion": "同意销号"}
                    answer = await self._case(issue, "sign-off", Role.LEADER, LEADER, body)
                case "awaiting_review":
                    status = await self.review(p, issue)
                    if status == "awaiting_review":
                        self.tally.in_review += 1
                        return status
                    if status != "awaiting_closure":  # 复核不通过: rectified again, to the policy's deadline
                        await self.rectify(p, issue, 0.5)
                        return await self.verify(p, issue, passed=True)
                    continue
                case "awaiting_closure":
                    answer = await self._case(issue, "close", Role.INSPECTION_OFFICE, OFFICE, {"note": "同意销号"})
                    self.tally.closed += 1
                    await self._case(issue, "file-closure", Role.INSPECTION_OFFICE, OFFICE, {})
                    self.tally.filed += 1
                    return "closed"
                case _:  # closed at 验收 (a source with no steps), or as the service answered
                    self.tally.closed += status == "closed"
                    return status
            status = str(answer["status"])

    async def notice_period(self, p: Problem, issue: str) -> str:
        """公示: the public may object on the public page (intake); when the 公示期 is over, 督察办 confirms it.
        The case's status after: `in_notice` when the 公示期 ends later than the demo waits."""
        url = f"{self.county.urls.cases}/v1/cases/{issue}"
        case = await self._send("GET", url, Role.LEADER, "demo")
        ends = datetime.fromisoformat(case["procedure"]["notice_ends"])
        if (ends - now()).total_seconds() > self.pace.notice_wait_seconds:
            return "in_notice"
        if p.objected and issue not in self._objected:
            await self.object(p, issue)
            return await self.until_status(issue, lambda status: status != "in_notice")
        await asyncio.sleep(max((ends - now()).total_seconds(), 0) + 0.2)
        answer = await self._case(issue, "complete-notice", Role.INSPECTION_OFFICE, OFFICE, {})
        return str(answer["status"])

    async def object(self, p: Problem, issue: str) -> None:
        """A resident objects on the public page (no sign-in; intake limits it per address)."""
        body = {"case_id": issue, "text": f"{p.township}{p.title}现场仍有问题，整改不到位，请再次核查"}
        await self._send("POST", f"{self.county.urls.intake}/v1/public/objections", None, body=body)
        self._objected.add(issue)
        self.tally.objections += 1

    async def review(self, p: Problem, issue: str) -> str:
        """复核: the county asks; the province (the demo, on province.inbound) answers; the case's status after."""
        body = {"note": "整改已完成，公示无异议，县领导已审签，请上级复核"}
        await self._case(issue, "request-review", Role.INSPECTION_OFFICE, OFFICE, body)
        if self.province is None:
            return "awaiting_review"
        reject = p.review_rejected and issue not in self._rejected
        if reject:
            self._rejected.add(issue)
        opinion = "现场复核发现整改不彻底，退回县级继续整改" if reject else "经复核，整改到位，同意销号"
        await self.province.review(issue, passed=not reject, opinion=opinion)
        self.tally.reviewed += 1
        self.tally.review_rejected += reject
        return await self.until_status(issue, lambda status: status != "awaiting_review")

    async def until_status(self, issue: str, done: Callable[[str], bool]) -> str:
        """Waits until the case's status (which a consumer moves: an objection, a review) satisfies `done`."""
        url = f"{self.county.urls.cases}/v1/cases/{issue}"
        deadline = asyncio.get_running_loop().time() + self.pace.wait_seconds
        while not done(status := str((await self._send("GET", url, Role.LEADER, "demo"))["status"])):
            if asyncio.get_running_loop().time() > deadline:
                raise DemoError(f"整改案件 {issue} 在 {self.pace.wait_seconds:.0f} 秒内仍为 {status}：请检查各服务")
            await asyncio.sleep(self.pace.poll_seconds)
        return status

    async def supervise(self, issue: str, count: int) -> None:
        year = now().astimezone(SHANGHAI).year
        body = {"note": "整改已超期，请立即整改并说明原因", "letter_no": f"督办〔{year}〕{issue[:6]}-{count}号"}
        await self._case(issue, "supervise", Role.INSPECTION_OFFICE, OFFICE, body)

    async def extend(self, issue: str) -> None:
        body = {"reason": "整改工程量大，申请延期", "approved_by": "副县长 陈明"}
        await self._case(issue, "extend", Role.INSPECTION_OFFICE, OFFICE, self.ahead(body, "new_deadline"))

    def ahead(self, body: dict[str, Any], field: str) -> Body:
        """`body` with `field` a deadline meant to be missed, set when the request leaves rather than when it queues
        for a slot: on a loaded machine the wait can outlast the few seconds, and the service refuses a past one."""
        return lambda: {**body, field: (now() + timedelta(seconds=self.pace.deadline_seconds)).isoformat()}

    async def reopen(self, issue: str) -> None:
        body = {"reason": "“回头看”发现问题反弹", "new_deadline_working_days": 20}
        await self._case(issue, "reopen", Role.INSPECTION_OFFICE, OFFICE, body)
        self.tally.reopened += 1

    async def _case(
        self, issue: str, command: str, role: Role, subject: str, body: Body, unit: str | None = None
    ) -> Any:
        """The command's answer (the case's new status and version)."""
        url = f"{self.county.urls.cases}/v1/cases/{issue}/{command}"
        return await self._send("POST", url, role, subject, body=body, unit=unit)

    # ------------------------------------------------------------ 执法

    async def enforcement_case(self, e: EnforcementCase) -> str:
        """Opens the case and records what the plan decides in it; answers the case's id."""
        issue = None
        if e.problem is not None:
            await self._reported[e.problem].wait()
            issue = self.ids[e.problem]
        today = now().astimezone(SHANGHAI).date()
        base = f"{self.county.urls.enforcement}/v1/enforcement-cases"
        opened = await self._enforce(
            base,
            {
                "enterprise": {"name": e.enterprise, "credit_code": e.credit_code, "address": e.address},
                "violation": e.violation,
                "legal_basis": e.legal_basis,
                "officer": e.officer,
                "issue_id": issue,
            },
        )
        self.tally.enforcement_cases += 1
        case = f"{base}/{opened['case_id']}"
        number = f"{self.year.run}-{e.number}"
        fine = await self._enforce(
            f"{case}/penalties",
            {
                "amount": str(e.fine),
                "decision_no": f"县环罚〔{today.year}〕{number}号",
                "due_date": str(today + timedelta(days=15)),
            },
        )
        penalty_id = fine["events"][0]["payload"]["penalty_id"]
        if e.paid:
            await self._enforce(
                f"{case}/payments", {"penalty_id": penalty_id, "amount": str(e.paid), "paid_on": str(today)}
            )
        if e.ordered:
            served = today - timedelta(days=10)
            order = await self._enforce(
                f"{case}/rectification-orders",
                {
                    "requirements": "立即停止违法行为，限期改正",
                    "served_on": str(served),
                    "deadline": f"{served + timedelta(days=4)}T17:00:00+08:00",
                },
            )
            reinspection: dict[str, Any] = {
                "order_id": order["events"][0]["payload"]["order_id"],
                # refused: not complied 3 days ago, a round of 7 days (按日连续处罚); else complied on the deadline
                "inspected_on": str(today - timedelta(days=3 if e.refused else 6)),
                "complied": not e.refused,
            }
            if e.refused:
                reinspection |= {
                    "decision_no": f"县环按日罚〔{today.year}〕{number}号",
                    "due_date": str(today + timedelta(days=15)),
                }
            await self._enforce(f"{case}/reinspections", reinspection)
        if e.production_stop:
            await self._enforce(f"{case}/production-stops", {"ordered_on": str(today), "note": "责令停产整治"})
        if e.detained:
            persons = [{"name": d.name, "days": d.days} for d in e.detained]
            await self._enforce(f"{case}/detentions", {"persons": persons, "police_unit": names.POLICE_UNIT})
        if e.criminal:
            persons = [{"name": name} for name in e.criminal]
            await self._enforce(
                f"{case}/criminal-measures",
                {"persons": persons, "measure": "刑事拘留", "police_unit": names.POLICE_UNIT},
            )
            await self._enforce(f"{case}/referrals", {"persons": persons, "procuratorate": names.PROCURATORATE})
        if e.closed:
            await self._enforce(f"{case}/close", {"outcome": "违法行为已改正，罚款已执行"})
        return str(opened["case_id"])

    async def _enforce(self, url: str, body: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = await self._send("POST", url, Role.ENFORCEMENT, ENFORCER, body=body)
        return answer

    # ------------------------------------------------------------ 问责

    async def measure(self, m: Measure) -> str:
        """Imposes the measure as the discipline commission, revokes it when the plan says so; answers its id."""
        target: dict[str, Any] = {"kind": "person" if m.person else "unit", "unit": m.unit}
        if m.person:
            target |= {"name": m.person.name, "post": m.person.post}
        body = {
            "target": target,
            "measure": m.kind.value,
            "reason": m.reason,
            "case_ids": [self.ids[n] for n in m.problems],
        }
        base = f"{self.county.urls.accountability}/v1/measures"
        imposed = await self._send("POST", base, Role.DISCIPLINE, DISCIPLINE, body=body)
        self.tally.measures += 1
        if m.revoked:
            await self._send(
                "POST",
                f"{base}/{imposed['measure_id']}/revoke",
                Role.DISCIPLINE,
                DISCIPLINE,
                body={"reason": "问责对象有误，予以撤销"},
            )
            self.tally.revoked += 1
        return str(imposed["measure_id"])

    async def _send(
        self,
        method: str,
        url: str,
        role: Role | None,
        subject: str = "demo",
        *,
        body: Body | None = None,
        unit: str | None = None,
        missing_ok: bool = False,
    ) -> Any:
        return await self.county.send(
            method, url, role=role, subject=subject, unit=unit, body=body, missing_ok=missing_ok
        )

    # ------------------------------------------------------------ 督查文书

    async def documents(self) -> None:
        """The 督察办's documents of the year: meetings on the work, a joint inspection round whose findings are the
        year's inspection problems, a collective summons meeting of the units with missed deadlines, and a bulletin
        from projections' draft (its content as the figures stand)."""
        base = self.county.urls.accountability
        year = now().astimezone(SHANGHAI).year
        meetings = [
            (
                "standing_committee",
                f"{year}-01-08",
                "县委常委会专题研究环保督察整改工作",
                ["成立县环保督察整改工作领导小组", "实行县级领导包案"],
            ),
            ("mobilization", f"{year}-01-15", "全县生态环境问题整改动员会", ["部署全年整改任务"]),
            ("executive", f"{year}-03-20", "县政府常务会研究整改推进", ["对超期问题挂牌督办"]),
            ("progress", f"{year}-06-28", "半年整改推进会", ["通报上半年整改进度"]),
            ("dispatch", f"{year}-09-10", "整改工作调度会", ["逐项调度未销号问题"]),
        ]
        for kind, held_on, title, decisions in meetings:
            body = {"kind": kind, "held_on": held_on, "title": title, "decisions": decisions, "case_ids": []}
            await self._send("POST", f"{base}/v1/meetings", Role.INSPECTION_OFFICE, OFFICE, body=body)
            self.tally.documents += 1
        inspected = [p for p in self.year.problems if p.source in INSPECTIONS and p.number in self.ids][:6]
        members = [unit for unit in sorted({p.unit for p in inspected}) if unit != OFFICE_UNIT][:3]
        opened = await self._send(
            "POST",
            f"{base}/v1/rounds",
            Role.INSPECTION_OFFICE,
            OFFICE,
            body={
                "name": f"{year}年第一轮联合督查",
                "member_units": [OFFICE_UNIT, *members],
                "lead_unit": OFFICE_UNIT,
                "period_from": f"{year}-04-01",
                "period_to": f"{year}-04-30",
            },
        )
        round_id = opened["events"][0]["payload"]["round_id"]
        for p in inspected:
            body = {"issue_id": self.ids[p.number], "note": f"联合督查发现：{p.title}"}
            await self._send("POST", f"{base}/v1/rounds/{round_id}/findings", Role.INSPECTION_OFFICE, OFFICE, body=body)
        await self._send(
            "POST", f"{base}/v1/rounds/{round_id}/close", Role.INSPECTION_OFFICE, OFFICE, body={"summary": "督查结束"}
        )
        late = [p for p in self.year.problems if p.fate in MISSED and p.number in self.ids]
        if late:
            body = {
                "held_on": f"{year}-10-15",
                "units": sorted({p.unit for p in late})[:8],
                "case_ids": [self.ids[p.number] for p in late][:20],
                "host": "县委副书记",
            }
            await self._send("POST", f"{base}/v1/summons-meetings", Role.INSPECTION_OFFICE, OFFICE, body=body)
        draft = await self._send(
            "GET",
            f"{self.county.urls.projections}/v1/documents/bulletin-draft?from={year}-01-01&to={year}-12-31",
            Role.INSPECTION_OFFICE,
            OFFICE,
        )
        bulletin = {
            "title": f"关于{year}年生态环境问题整改情况的通报",
            "period_from": f"{year}-01-01",
            "period_to": f"{year}-12-31",
            "overdue": draft["overdue"],
            "units": draft["units"],
            "text": draft["text"],
        }
        await self._send("POST", f"{base}/v1/bulletins", Role.INSPECTION_OFFICE, OFFICE, body=bulletin)
        self.tally.documents += 3 + (1 if late else 0)
