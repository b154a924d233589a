"""The tools of bench/README.md's intake section: the bare baseline validates what intake validates, and the profile
summary counts the loop thread's samples by statement and by stage."""

from pathlib import Path

import httpx

from bench.bare import create_app
from bench.profile_summary import summary
from bench.samples import report


async def test_the_bare_baseline_accepts_a_sample_report_and_refuses_a_bad_one_by_the_same_model() -> None:
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://bare") as client:
        assert (await client.post("/v1/reports", json=report("基准测试-1", 3))).status_code == 202
        refused = await client.post("/v1/reports", json={**report("基准测试-1", 4), "domain": "nowhere"})
        assert refused.status_code == 422


def test_the_profile_summary_counts_only_the_loop_thread_by_statement_and_stage(tmp_path: Path) -> None:
    loop = "_run_module_as_main (<frozen runpy>:198);Runner.run (asyncio/runners.py:118)"
    profile = tmp_path / "intake.txt"
    profile.write_text(
        f"{loop};add_report (/work/x/services/intake/read_tables.py:85);Connection._do_execute (a/asyncpg/c.py:1) 3\n"
        f"{loop};solve_dependencies (f.py:1);verify_token (shared/auth.py:9);decode (jwt.py:3) 1\n"
        "Thread._bootstrap (threading.py:1002);Condition.wait (threading.py:320) 50\n"
    )
    total, where = summary(profile)
    assert total == 4
    assert where == {"SQL at add_report (services/intake/read_tables.py:85)": 3, "in verify_token": 1}
