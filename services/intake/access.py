"""Who may call which intake route.

Staff routes name their roles with `staff(...)`: a missing, invalid or expired token is
a 401, another role a 403. Public submission needs no token. Reading a reporter's
contact is for the operator role alone, and every read is recorded.
"""

import math
import time
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from shared.auth import Principal, Role, acting_as, optional_principal, require

# 举报人信息: only the intake operator who calls reporters back.
CONTACT_READERS = (Role.OPERATOR,)


def staff(*roles: Role) -> Any:
    """A dependency that admits only `roles` and gives the caller's actor name."""
    return acting_as(*roles)


class PublicRateLimit:
    """Anonymous submissions per client address in a moving window (per process: each instance counts its own)."""

    def __init__(self, limit: str) -> None:
        self._item = parse(limit)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def check(self, address: str) -> None:
        if not self._limiter.hit(self._item, address):
            reset_at = self._limiter.get_window_stats(self._item, address).reset_time
            retry_after = max(1, math.ceil(reset_at - time.time()))
            raise HTTPException(
                status_code=429,
                detail={"code": "too_many_requests", "message": f"提交过于频繁，请 {retry_after} 秒后再试"},
                headers={"Retry-After": str(retry_after)},
            )


def public() -> Any:
    """Public submission: no token needed, but limited per address; a token, when sent, must be valid."""

    def actor(request: Request, principal: Annotated[Principal | None, Depends(optional_principal)]) -> str:
        if principal is not None:
            return principal.actor
        limit: PublicRateLimit = request.app.state.public_rate_limit
        limit.check(request.client.host if request.client else "unknown")
        return "public"

    return Depends(actor)


def contact_reader() -> Any:
    return require(*CONTACT_READERS)
