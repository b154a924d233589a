"""Who may call which intake route: the one place the access-control work fills in.

Staff routes declare the roles meant for them with `staff(...)`. Until the
authorization matrix lands (issue 7, access control) it does not refuse anyone: a
valid bearer token names the actor on the events, an invalid one is refused (401), a
missing one is recorded as `anonymous`. Enforcing is a one-line change below:
return `require(*roles)` instead. Reading a reporter's contact is already restricted
to the operator role, because its audit trail is worthless without a verified reader.
"""

from typing import Annotated, Any

from fastapi import Depends

from shared.auth import Principal, Role, optional_principal, require

ANONYMOUS = "anonymous"

# 举报人信息: only the intake operator who calls reporters back.
CONTACT_READERS = (Role.OPERATOR,)


def staff(*roles: Role) -> Any:
    """A dependency giving the caller's actor name; `roles` are the roles the route is meant for."""
    del roles  # not enforced yet: see the module docstring

    def actor(principal: Annotated[Principal | None, Depends(optional_principal)]) -> str:
        return principal.actor if principal else ANONYMOUS

    return Depends(actor)


def public() -> Any:
    """Public submission: no token needed; a token, when sent, must be valid and names the actor."""

    def actor(principal: Annotated[Principal | None, Depends(optional_principal)]) -> str:
        return principal.actor if principal else "public"

    return Depends(actor)


def contact_reader() -> Any:
    return require(*CONTACT_READERS)
