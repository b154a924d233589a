"""工作日时限预览: what the forms show before 交办/督办/延期/回头看 is what the rules will set."""

from datetime import UTC, datetime

from services.cases.schemas import deadline_preview
from shared.workdays import working_days_deadline


def test_the_preview_is_the_domains_deadline_across_the_national_day_holiday() -> None:
    now = datetime(2025, 9, 29, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai, before 国庆 (1–8 October)
    preview = deadline_preview(now, 5)
    assert preview.deadline == working_days_deadline(now, 5).isoformat() == "2025-10-13T23:59:59+08:00"
    assert preview.deadline_utc == "2025-10-13T15:59:59Z"
    assert preview.label == "2025年10月13日（星期一）23:59 北京时间"
    assert preview.counted_from.isoformat() == "2025-09-29"


def test_the_day_is_counted_in_shanghai_not_in_utc() -> None:
    late_evening = datetime(2025, 6, 6, 17, 0, tzinfo=UTC)  # Saturday 01:00 in Shanghai, Friday in UTC
    assert deadline_preview(late_evening, 1).counted_from.isoformat() == "2025-06-07"
    assert deadline_preview(late_evening, 1).deadline == "2025-06-09T23:59:59+08:00"
