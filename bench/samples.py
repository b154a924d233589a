"""What the load generators send: reports spread over townships and domains, and the case commands.

Reports carry no location, so duplicate matching by place never links them; each carries a unique
external reference (交办编号) in the run's batch, so a retried submission is recognised by intake
as the same report instead of opening a second issue.
"""

import hashlib
from datetime import datetime, timedelta
from typing import Any

from shared.clock import now
from shared.contracts.codes import Domain, Source

TOWNSHIPS = ("城关镇", "河口镇", "石门镇", "桥头乡", "杨柳镇", "新港镇", "白沙乡", "龙潭镇")
DOMAINS = tuple(Domain)
SOURCES = (Source.HOTLINE_12369, Source.COUNTY_HOTLINE, Source.CENTRAL_INSPECTION, Source.MAILBOX)

UNIT = "城关镇人民政府"
# 佐证材料: a closure request names a file uploaded to the case first. A PDF is kept as sent, so its hash is known.
EVIDENCE_FILE = {"file": ("整改报告.pdf", b"%PDF-1.4\n% load test\n%%EOF\n", "application/pdf")}
EVIDENCE = [
    {
        "description": "整改报告",
        "file_name": "整改报告.pdf",
        "sha256": hashlib.sha256(EVIDENCE_FILE["file"][1]).hexdigest(),
    }
]


def report(batch: str, n: int) -> dict[str, Any]:
    """The n-th report of a run: its batch names the run, its external reference the report."""
    return {
        "source": SOURCES[n % len(SOURCES)].value,
        "title": f"群众反映环境问题（第{n}号）",
        "description": "群众反映附近有环境问题，请核实处理",
        "township": TOWNSHIPS[n % len(TOWNSHIPS)],
        "domain": DOMAINS[(n // len(TOWNSHIPS)) % len(DOMAINS)].value,
        "batch": batch,
        "external_ref": f"{batch}-{n}",
    }


def assignment(deadline_in: timedelta, at: datetime | None = None) -> dict[str, Any]:
    """交办 with the 五定."""
    return {
        "problem": "群众反映的环境问题属实",
        "task": "立即整改，恢复原状",
        "unit": UNIT,
        "leader": {"name": "王建国", "post": "城关镇党委书记"},
        "deadline": ((at or now()) + deadline_in).isoformat(),
        "measures": "按期完成通报表扬，逾期约谈",
    }


CLOSURE_REQUEST = {"summary": "已按要求整改完毕", "evidence": EVIDENCE}
VERIFICATION = {"passed": True, "note": "现场核查整改到位", "verifier": "县督察办"}
