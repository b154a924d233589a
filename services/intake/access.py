"""Who may call which intake route.

Staff routes name their roles with `staff(...)`: a missing, invalid or expired token is
a 401, another role a 403. Public submission needs no token. Reading a reporter's
contact is for the operator role alone, and every read is recorded.
"""

from typing import Annotated, Any

from fastapi import Depends, Request

from services.intake.deps import DepsDep
from shared.auth import Principal, Role, acting_as, optional_principal, require

# Who reads reports and their photos.
REPORT_READERS = (Role.OPERATOR, Role.INSPECTION_OFFICE, Role.LEADER, Role.UNIT, Role.ENFORCEMENT)

# 举报人信息: only the intake operator who calls reporters back.
CONTACT_READERS = (Role.OPERATOR,)


def staff(*roles: Role) -> Any:
    """A dependency that admits only `roles` and gives the caller's actor name."""
    return acting_as(*roles)


def public() -> Any:
    """Public submission: no token needed, but limited per address; a token, when sent, must be valid."""

    def actor(
        request: Request, deps: DepsDep, principal: Annotated[Principal | None, Depends(optional_principal)]
    ) -> str:
        if principal is not None:
            return principal.actor
        deps.public_rate_limit.check(request.client.host if request.client else "unknown")
        return "public"

    return Depends(actor)


def contact_reader() -> Any:
    return require(*CONTACT_READERS)
