"""Who may call which intake route.

Staff routes name their roles with `staff(...)`: a missing, invalid or expired token is
a 401, another role a 403. Public submission needs no token. Reading a reporter's
contact (and erasing it) is for the operator role alone, and every read is an audit event.

A public submission (no token, or a `public` token) is limited per client address
(services/intake/rate_limit.py) and speaks only for itself: its source is the public one
(县长信箱), and it names no batch or external reference. Official sources, batches and
references come from the staff who enter reports (`ENTRY_ROLES`), the staff routes and
the province's 交办 on `province.inbound`.
"""

from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request

from services.intake.deps import Deps
from shared.audit.reads import reader
from shared.auth import Role, acting_as, require, sender_of
from shared.contracts.codes import Source

# Who reads reports and their photos.
REPORT_READERS = (Role.OPERATOR, Role.INSPECTION_OFFICE, Role.LEADER, Role.UNIT, Role.ENFORCEMENT)

# 举报人信息: only the intake operator who calls reporters back.
CONTACT_READERS = (Role.OPERATOR,)

# Staff who enter reports for the county (受理员, 督察办): on the report API they name source, batch and reference.
ENTRY_ROLES = (Role.OPERATOR, Role.INSPECTION_OFFICE)

# What a citizen's own report is, whichever public door it came through: a 县长信箱-style letter.
PUBLIC_SOURCE = Source.MAILBOX


@dataclass(frozen=True)
class Submitter:
    """Who sent a report through a public door, and whether they may say where it comes from."""

    actor: str
    # Staff of ENTRY_ROLES: their source, batch and reference are taken as given.
    official: bool


def staff(*roles: Role) -> Any:
    """A dependency that admits only `roles` and gives the caller's actor name."""
    return acting_as(*roles)


def public() -> Any:
    """Public submission: no token needed but limited per address, like a `public` token; a token must be valid."""

    async def submitter(request: Request) -> Submitter:
        # One dependency without sub-dependencies: the token and the service's dependencies read here, not solved
        # by FastAPI on every report (shared.auth.sender_of).
        principal = await sender_of(request)
        if principal is not None and principal.role in ENTRY_ROLES:
            return Submitter(actor=principal.actor, official=True)
        if principal is None or principal.role is Role.PUBLIC:
            deps: Deps = request.state.deps
            await deps.public_rate_limit.check(request)
        return Submitter(actor=principal.actor if principal else "public", official=False)

    return Depends(submitter)


def contact_reader() -> Any:
    """The operator who reads (or erases) a reporter's contact, with role and address for the audit event."""
    return reader(require(*CONTACT_READERS))
