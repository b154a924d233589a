"""Bearer tokens for the load generators, signed with the stack's key (JWT_SECRET).

Reports are entered as an intake operator (受理员, as 12369 operators enter calls): anonymous
submissions are rate-limited per address, and a load generator is one address. 督察办 assigns and
verifies; the responsible unit (责任单位) asks for closure of its own cases; reads go out as a
county leader (县领导), who may read everything.
"""

from dataclasses import dataclass
from datetime import timedelta

from bench.samples import UNIT
from shared.auth import Role, issue_token
from shared.settings import ServiceSettings

Headers = dict[str, str]


@dataclass(frozen=True)
class Tokens:
    operator: Headers
    office: Headers
    unit: Headers
    reader: Headers

    def for_command(self, path: str) -> Headers:
        return self.unit if path in ("request-closure", "progress") else self.office


def tokens(jwt_secret: str | None = None, *, hours: float | None = None) -> Tokens:
    """Tokens for the stack whose key is `jwt_secret` (default: JWT_SECRET from the environment, which the commands'
    `use_stack_keys()` completes from .run/secrets.env), valid `hours` (default: as long as the services allow)."""
    settings = ServiceSettings() if jwt_secret is None else ServiceSettings(jwt_secret=jwt_secret)
    ttl = None if hours is None else timedelta(hours=hours)

    def bearer(subject: str, role: Role, unit: str | None = None) -> Headers:
        return {"Authorization": f"Bearer {issue_token(settings, subject=subject, role=role, unit=unit, ttl=ttl)}"}

    return Tokens(
        operator=bearer("bench-operator", Role.OPERATOR),
        office=bearer("bench-office", Role.INSPECTION_OFFICE),
        unit=bearer("bench-unit", Role.UNIT, UNIT),
        reader=bearer("bench-reader", Role.LEADER),
    )
