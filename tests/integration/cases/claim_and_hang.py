"""A poller that dies between the claim and the append: claims the next missed deadline, says so, and waits.

The test kills it with SIGKILL while it holds the claim, as a crash would.
Run as `python -m tests.integration.cases.claim_and_hang` with the cases settings in the environment.
"""

import asyncio
import sys

import asyncpg

from services.cases.deadlines import claim_missed
from services.cases.settings import CasesSettings
from shared import clock


async def main() -> None:
    settings = CasesSettings()
    conn = await asyncpg.connect(settings.database_dsn)
    async with conn.transaction():
        row = await claim_missed(conn, clock.now())
        print(f"claimed {row['case_id'] if row else None}", flush=True)
        await asyncio.Event().wait()  # never appends: the SIGKILL comes first


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(1)
