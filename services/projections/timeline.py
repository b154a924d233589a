"""The lines of a case timeline (案件时间线): what each event says, in one zh-CN sentence.

Which events belong to an issue is the read side's (`read_tables/timeline.py`); what each event is
called comes from the contracts (`Event.label`).
"""

from datetime import datetime

from services.projections import labels
from shared.clock import SHANGHAI
from shared.contracts import accountability as acc
from shared.contracts import cases, enforcement, intake
from shared.contracts.base import Event
from shared.contracts.money import fen_to_yuan


def local(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def describe(event: Event) -> str:
    """One line in Chinese saying what happened."""
    match event:
        case intake.IssueReported():
            return (
                f"{labels.source(event.source)}反映：{event.title}（{event.township}，{labels.domain(event.domain)}）"
            )
        case intake.DuplicateReportLinked():
            how = "同一交办编号" if event.rule is intake.DuplicateRule.SAME_EXTERNAL_REF else "同一地点"
            if event.distance_m is not None:
                how += f"，相距{event.distance_m}米"
            return f"重复举报：{labels.source(event.source)}再次反映「{event.title}」（{how}）"
        case intake.ObjectionFiled():
            return f"公示异议：{event.text}"
        case cases.CaseOpened():
            return f"立案整改：{event.title}"
        case cases.Assigned():
            leader = event.leader
            # 联络渠道 since schema version 2; null in a 交办 recorded before (read through the upcaster).
            liaison = f"，联络渠道{leader.liaison}" if leader.liaison else ""
            return f"交办{event.unit}，包案领导{leader.name}（{leader.post}）{liaison}，整改时限{local(event.deadline)}"
        case cases.Reassigned():
            return f"改由{event.unit}整改（原{event.previous_unit}），整改时限{local(event.deadline)}"
        case cases.Supervised():
            earlier = f"，时限提前至{local(event.new_deadline)}" if event.new_deadline else ""
            return f"督办：{event.note}{earlier}"
        case cases.ProgressReported():
            percent = f"（完成{event.percent}%）" if event.percent is not None else ""
            return f"反馈进展：{event.note}{percent}"
        case cases.DeadlineExtended():
            return f"延期至{local(event.new_deadline)}：{event.reason}（{event.approved_by}批准）"
        case cases.ClosureRequested():
            return f"申请销号：{event.summary}（证据{len(event.evidence)}项）"
        case cases.Closed():
            return f"验收通过，销号（验收人：{event.verifier}）"
        case cases.ClosureRejected():
            return f"验收不通过：{event.reason}（验收人：{event.verifier}）"
        case cases.Reopened():
            return f"回头看发现问题反弹，重新整改：{event.reason}，新时限{local(event.new_deadline)}"
        case cases.DeadlineApproaching():
            return f"整改时限{local(event.deadline)}临近，责任单位{event.unit}"
        case cases.DeadlineMissed():
            return f"整改时限{local(event.deadline)}已过未销号，第{event.missed_count}次超期（{event.unit}）"
        case enforcement.EnforcementCaseOpened():
            return f"环境执法立案：{event.enterprise.name}，{event.violation}"
        case enforcement.PenaltyIssued():
            if event.basis is enforcement.PenaltyBasis.DAILY_CONTINUOUS:
                return f"按日连续处罚{event.days or ''}日，共{fen_to_yuan(event.amount_fen)}元（{event.decision_no}）"
            return f"行政处罚罚款{fen_to_yuan(event.amount_fen)}元（{event.decision_no}）"
        case enforcement.PenaltyPaid():
            return f"缴纳罚款{fen_to_yuan(event.amount_fen)}元（{event.paid_on.isoformat()}）"
        case enforcement.RectificationOrdered():
            return f"责令改正：{event.requirements}，期限{local(event.deadline)}"
        case enforcement.ReinspectionDone():
            return f"复查：{'已按要求改正' if event.complied else '仍未改正'}"
        case enforcement.ProductionStopOrdered():
            return "责令停产整治"
        case enforcement.DetentionOrdered():
            names = "、".join(f"{p.name}（{p.days}日）" for p in event.persons)
            return f"行政拘留{len(event.persons)}人：{names}"
        case enforcement.CriminalMeasuresTaken():
            return f"{event.measure}：{'、'.join(p.name for p in event.persons)}"
        case enforcement.ReferredForProsecution():
            return f"移送{event.procuratorate}起诉{len(event.persons)}人"
        case enforcement.EnforcementCaseClosed():
            return f"执法结案：{event.outcome}"
        case acc.WarningIssued():
            return f"对{event.unit}通报预警"
        case acc.SummonsIssued():
            return f"约谈{event.unit}主要负责人（{event.summons_date.isoformat()}）"
        case acc.CriticismNoticeIssued():
            return f"对{event.unit}通报批评"
        case acc.DisciplineReferralMade():
            return f"{event.unit}问题线索移交纪委监委"
        case acc.MeasureImposed():
            target = event.target.unit
            if event.target.name:
                target = f"{event.target.unit}{event.target.post or ''}{event.target.name}"
            return f"给予{target}{labels.measure(event.measure)}：{event.reason}"
        case acc.MeasureRevoked():
            return f"撤销问责措施：{event.reason}"
        case cases.MarkedConfidential():
            return f"{event.shown_as()}：{event.reason}"
        case cases.AssignmentLetterIssued():
            return f"印发{event.letter_no}，交办{event.unit}，整改时限{local(event.deadline)}"
        case acc.FindingRecorded():
            return f"联合督查发现：{event.note}"
        case acc.SummonsMeetingHeld():
            return f"集体约谈会（{event.held_on.isoformat()}）：约谈{'、'.join(event.units)}"
        case acc.WorkMeetingHeld():
            return f"{labels.meeting(event.kind)}研究（{event.held_on.isoformat()}）：{event.title}"
        case _:
            return event.label
