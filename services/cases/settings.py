from datetime import timedelta

from shared.settings import ServiceSettings


class CasesSettings(ServiceSettings):
    service_name: str = "cases"
    port: int = 8002

    # How often the deadline poller looks for due deadlines: the most a DeadlineMissed can lag behind.
    deadline_poll_seconds: float = 1.0
    # DeadlineApproaching (整改时限临近) is sent once when less than this remains (env: P3D or "3 days, 0:00:00").
    deadline_warning_lead: timedelta = timedelta(days=3)
