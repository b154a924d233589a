"""公众提交频率限制 across processes (issue 12, 7): two intake processes behind no proxy share one count, and no
X-Forwarded-For a client writes, nor a `public` token, gets it a fresh one.

Run as `make up` runs intake (uvicorn), which by default believed X-Forwarded-For from 127.0.0.1.
"""

import httpx

from services.intake.settings import IntakeSettings
from shared.auth import Role
from tests.conftest import SettingsFactory
from tests.support.issuer import issue_token
from tests.support.service import free_port, service_processes

REPORT = {
    "title": "夜间偷排",
    "description": "河西村排污口",
    "township": "城关镇",
    "domain": "water",
    "source": "mailbox",
}


async def test_two_intake_processes_share_the_count_that_no_forged_header_or_public_token_resets(
    make_settings: SettingsFactory, topics: list[str]
) -> None:
    first = make_settings(IntakeSettings, port=free_port(), public_rate_limit="4/hour")
    second = first.model_copy(update={"port": free_port()})
    citizen = {"Authorization": f"Bearer {issue_token(first, subject='citizen', role=Role.PUBLIC)}"}
    async with service_processes(("services.intake", first), ("services.intake", second)) as (a, b):
        async with httpx.AsyncClient(timeout=30) as client:

            async def submit(url: str, headers: dict[str, str]) -> int:
                answer = await client.post(f"{url}/v1/reports", json=REPORT, headers=headers)
                return answer.status_code

            sent = [
                await submit(a.url, {}),
                await submit(b.url, {"X-Forwarded-For": "198.51.100.1"}),
                await submit(a.url, {"X-Forwarded-For": "198.51.100.2"}),
                await submit(b.url, citizen),
                await submit(a.url, {"X-Forwarded-For": "198.51.100.3"}),
                await submit(b.url, {**citizen, "X-Forwarded-For": "198.51.100.4"}),
            ]
            assert sent == [202, 202, 202, 202, 429, 429]
            operator = issue_token(first, subject="operator", role=Role.OPERATOR)
            assert await submit(b.url, {"Authorization": f"Bearer {operator}"}) == 202
