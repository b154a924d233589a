"""公众提交频率限制: how often one client address may submit without a staff token, counted by every instance together.

The count lives in intake's database (`public_submissions`, one row per accepted submission
in the window), so all instances behind a load balancer share it and a restart does not
reset it. The window moves: a submission is refused while `limit` others from the same
address were accepted within the last `period`; Retry-After says when the oldest of them
leaves the window. Each check is one transaction holding an advisory lock on the address,
so two instances cannot both let the last allowed submission through; the database's
clock decides, so instances with skewed clocks agree. A refused attempt is not counted.

The address is the connection's peer unless that peer is one of the configured trusted
proxies (`TRUSTED_PROXIES`); then X-Forwarded-For is read from the right, skipping the
trusted proxies, and the first other address is the client. Anything a client writes
into that header itself stands to the left of what our proxy appended, so it is never
read. Rows are kept only while they count: each check deletes the address's expired
rows, and at most once a period every instance purges all expired ones.
"""

import math
import time

import asyncpg
from fastapi import HTTPException, Request
from limits import parse

from shared.client_address import address_of, trusted_networks
from shared.db import Connection

_ADDRESS_LOCK = 7_301_102


class PublicRateLimit:
    """At most `limit` (the limits library's notation, e.g. "20/minute") accepted submissions per address."""

    def __init__(self, pool: asyncpg.Pool, limit: str, trusted_proxies: str = "") -> None:
        item = parse(limit)
        self.pool = pool
        self.amount = item.amount
        self.period_seconds = float(item.get_expiry())
        self.trusted = trusted_networks(trusted_proxies)
        self._purged_at = 0.0

    def address_of(self, request: Request) -> str:
        return address_of(request, self.trusted)

    async def check(self, request: Request) -> None:
        """Counts the submission, or raises 429 with Retry-After when the address has used up its window."""
        address = self.address_of(request)
        async with self.pool.acquire() as conn:
            retry_after = await self._count(conn, address)
            if time.monotonic() - self._purged_at > self.period_seconds:
                await conn.execute(
                    "delete from public_submissions where at <= now() - make_interval(secs => $1)", self.period_seconds
                )
                self._purged_at = time.monotonic()
        if retry_after is not None:
            seconds = max(1, math.ceil(retry_after))
            raise HTTPException(
                status_code=429,
                detail={"code": "too_many_requests", "message": f"提交过于频繁，请 {seconds} 秒后再试"},
                headers={"Retry-After": str(seconds)},
            )

    async def _count(self, conn: Connection, address: str) -> float | None:
        """None when the submission is accepted (and counted), else the seconds until it would be."""
        async with conn.transaction():
            await conn.execute("select pg_advisory_xact_lock($1, hashtext($2))", _ADDRESS_LOCK, address)
            await conn.execute(
                "delete from public_submissions where address = $1 and at <= now() - make_interval(secs => $2)",
                address,
                self.period_seconds,
            )
            row = await conn.fetchrow(
                """select count(*) as accepted,
                          extract(epoch from min(at) + make_interval(secs => $2) - now())::float8 as frees_in
                     from public_submissions where address = $1""",
                address,
                self.period_seconds,
            )
            assert row is not None
            if row["accepted"] >= self.amount:
                return float(row["frees_in"])
            await conn.execute("insert into public_submissions (address, at) values ($1, now())", address)
            return None
