from datetime import timedelta
from pathlib import Path

from pydantic import Field

from shared.body_limit import MIB
from shared.settings import ServiceSettings


class CasesSettings(ServiceSettings):
    service_name: str = "cases"
    port: int = 8002

    # How often the deadline poller looks for due deadlines: the most a DeadlineMissed can lag behind.
    deadline_poll_seconds: float = 1.0
    # DeadlineApproaching (整改时限临近) is sent once when less than this remains (env: P3D or "3 days, 0:00:00").
    deadline_warning_lead: timedelta = timedelta(days=3)

    # 佐证材料: the largest file a unit may upload (a photo before it is cleaned, or a PDF), and how many files and
    # bytes one case may hold in all (progress photos and closure evidence together).
    evidence_max_bytes: int = Field(default=20 * MIB, gt=0)
    evidence_max_files: int = Field(default=200, gt=0)
    evidence_max_case_bytes: int = Field(default=1024 * MIB, gt=0)

    # CLOSURE_POLICY: a TOML file laid over the shipped closure_policy.toml (only the keys it changes).
    closure_policy: Path | None = None
