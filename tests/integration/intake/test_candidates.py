"""重复举报's candidates: only the open issues that could be the same problem are read, however many a place has."""

from datetime import UTC, datetime, timedelta

import asyncpg

from services.intake import read_tables
from services.intake.duplicates import Place
from services.intake.main import create_app
from services.intake.settings import IntakeSettings
from shared.contracts.codes import Domain
from shared.contracts.intake import Location
from tests.support.service import serving

NOW = datetime(2026, 12, 1, 8, tzinfo=UTC)


async def test_open_candidates_are_the_issues_in_the_box_around_the_report_or_at_its_address(
    settings: IntakeSettings,
) -> None:
    async with serving(create_app(settings)):
        conn = await asyncpg.connect(settings.database_dsn)
        try:
            # 300 open issues of one township and domain about 1 km apart, and a few around the report.
            rows: list[tuple[str, float | None, float | None, str | None]] = [
                (f"far-{n}", 30.0 + 0.009 * (n // 20), 114.0 + 0.01 * (n % 20), None) for n in range(300)
            ]
            rows += [
                ("near", 30.5004, 114.5, None),  # 44 m north
                ("edge", 30.5, 114.502, None),  # 192 m east
                ("outside", 30.5, 114.5025, "城关镇河西村"),  # 240 m east: coordinates decide, not the address
                ("same-address", None, None, "城关镇河西村"),
            ]
            await conn.executemany(
                """insert into issue_index (issue_id, township, domain, lat, lon, address_key, reported_at)
                   values ($1, '城关镇', 'water', $2, $3, $4, $5)""",
                [(*row, NOW - timedelta(days=1)) for row in rows],
            )
            here = Place("城关镇", Domain.WATER, Location(address="城关镇 河西村", lat=30.5, lon=114.5))
            found = await read_tables.open_candidates(conn, here, NOW - timedelta(days=30), 200.0)
            assert sorted(k.issue_id for k in found) == ["edge", "near", "same-address"]
            address_only = Place("城关镇", Domain.WATER, Location(address="城关镇河西村"))
            found = await read_tables.open_candidates(conn, address_only, NOW - timedelta(days=30), 200.0)
            # Without coordinates on the report, the address decides, whatever the issue has.
            assert sorted(k.issue_id for k in found) == ["outside", "same-address"]
        finally:
            await conn.close()
