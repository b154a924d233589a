"""交办函 (assignment letter): the 五定 of one 交办, as the letter the responsible unit receives.

The letter's data is plain (`AssignmentLetter`): projections fills it from a case's current facts (the 五定 as they
stand after any 重新交办, 延期 or 督办 with an earlier deadline); an event that numbers the letters (交办函〔2026〕12号)
fills `number`, and without one the letter leaves the number for the office to write in.
"""

from dataclasses import dataclass
from datetime import datetime

from docx.shared import Cm

from services.projections.documents import writing
from shared.clock import SHANGHAI

TITLE = "生态环境问题整改交办函"
ISSUER = "县生态环境问题整改工作领导小组办公室"
FIVE_DEFINED = ("问题", "整改任务", "责任单位", "包案领导", "整改时限", "奖惩措施")  # 五定, in the letter's order


@dataclass(frozen=True)
class AssignmentLetter:
    """交办函: the case it concerns and its 五定 (问题, 任务, 责任单位, 包案领导, 时限, 措施)."""

    issue_id: str
    title: str
    source: str  # 问题来源, its label (中央环保督察, …)
    township: str
    problem: str
    task: str
    unit: str
    leader_name: str
    leader_post: str
    liaison: str | None  # 联络渠道 (an office, never a phone number)
    deadline: datetime
    measures: str
    issued_at: datetime  # the 交办 (or 重新交办) whose 五定 these are
    number: str | None = None  # 交办函〔2026〕12号, when the letters are numbered


def day_text(moment: datetime) -> str:
    """2026年3月5日, in county time."""
    day = moment.astimezone(SHANGHAI)
    return f"{day.year}年{day.month}月{day.day}日"


def deadline_text(deadline: datetime) -> str:
    """2026年3月5日18:00前, in county time (a deadline is a moment, and the county's is 18:00 as a rule)."""
    day = deadline.astimezone(SHANGHAI)
    return f"{day_text(deadline)}{day:%H:%M}前"


def leader_text(letter: AssignmentLetter) -> str:
    text = f"{letter.leader_name}（{letter.leader_post}）"
    return f"{text}，联络渠道：{letter.liaison}" if letter.liaison else text


def five_defined(letter: AssignmentLetter) -> list[list[str]]:
    """The 五定 as the letter's table states them, one row each (FIVE_DEFINED)."""
    values = (
        letter.problem,
        letter.task,
        letter.unit,
        leader_text(letter),
        deadline_text(letter.deadline),
        letter.measures,
    )
    return [[name, value] for name, value in zip(FIVE_DEFINED, values, strict=True)]


def render_assignment_letter(letter: AssignmentLetter) -> bytes:
    """The .docx of one 交办函."""
    document = writing.new_document(f"{TITLE}（{letter.issue_id}）")
    writing.title(document, TITLE)
    writing.centred(document, letter.number or "交办函〔　　〕　　号")
    writing.text(document, f"{letter.unit}：", indent=False)
    writing.text(
        document,
        f"现将“{letter.title}”（问题编号{letter.issue_id}，来源：{letter.source}，所在乡镇：{letter.township}）"
        "交由你单位牵头整改。整改的问题、任务、责任单位、包案领导、时限和奖惩措施（五定）如下：",
    )
    writing.table(document, "整改“五定”", ("项目", "内容"), five_defined(letter), widths=(Cm(3), Cm(12.6)))
    writing.text(
        document,
        f"请你单位在包案领导的领导下，按照整改任务抓紧整改，于{deadline_text(letter.deadline)}完成，"
        "并在工作台上报整改进展、提交佐证材料申请销号。逾期未完成的，将依照规定予以督办、通报和问责。",
    )
    writing.right(document, ISSUER)
    writing.right(document, day_text(letter.issued_at))
    return writing.saved(document)
