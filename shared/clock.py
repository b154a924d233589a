"""Times are stored in UTC and shown in the county's zone."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    return datetime.now(UTC)


def shown(moment: datetime) -> str:
    """ISO 8601 in Asia/Shanghai (+08:00), as people and the province read it."""
    return moment.astimezone(SHANGHAI).isoformat()
