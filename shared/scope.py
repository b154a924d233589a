"""Whose data a caller reads (数据范围): a responsible unit (责任单位) its own cases only, other staff the county's.

Writes check the unit on each command (cases: a unit reports only on the cases assigned to it).
Reads check it here, once for every service: a read route asks for `ScopeDep` and filters on the
server by `scope.unit`, whatever the query names.

- A unit's own cases are those assigned (交办) to it now: the case's current unit.
- Lists and figures contain only those cases; a `unit=` naming another unit gives nothing.
- A single resource outside them is a 404, worded like one that does not exist (`Scope.check`),
  so ids cannot be probed; never a 403, which would confirm the id.
- County-wide documents and data not about cases (enforcement against enterprises, the work report,
  the ledger) are refused to units with a 403: `require(*COUNTY_READERS)`.
"""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from shared.auth import STAFF, Principal, Role, current_principal
from shared.errors import NotFound

# Staff who read the whole county; a unit reads only its own cases.
COUNTY_READERS: tuple[Role, ...] = tuple(role for role in STAFF if role is not Role.UNIT)


@dataclass(frozen=True)
class Scope:
    """The unit a caller's reads are confined to, or None for a county-wide role."""

    unit: str | None = None

    @property
    def county_wide(self) -> bool:
        return self.unit is None

    def allows(self, unit: str | None) -> bool:
        """Whether a resource of `unit` (the case's current unit; None: not assigned) is within the scope."""
        return self.unit is None or unit == self.unit

    def check(self, unit: str | None, what: str, ident: str) -> None:
        """404 for a resource outside the scope, the same answer as for one that does not exist."""
        if not self.allows(unit):
            raise NotFound(what, ident)


def scope_of(principal: Principal) -> Scope:
    if principal.role is Role.UNIT:
        # shared.auth refuses a unit token without its unit; an empty one would match no case anyway.
        return Scope(unit=principal.unit or "")
    return Scope()


async def _scope(principal: Annotated[Principal, Depends(current_principal)]) -> Scope:
    return scope_of(principal)


# How a read route asks for its caller's scope (the route's own `require` decides who may call it at all).
ScopeDep = Annotated[Scope, Depends(_scope)]
