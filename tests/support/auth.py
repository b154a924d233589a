"""Tokens for the tests' HTTP clients.

Functional tests are not about who may do what (tests/integration/test_authorization.py is),
so their clients sign each request with a token of a role that the route is meant for:
the person is the request's `X-Actor` header (percent-decoded), as in a login. A
responsible unit's token names the unit the case is assigned to, looked up first.
"""

import re
from collections.abc import Generator
from urllib.parse import unquote

import httpx

from shared.auth import Role
from shared.settings import ServiceSettings
from tests.support.issuer import issue_token

# First match wins: (method or None for any, path pattern, role; None = no token, as the public sends).
ROUTE_ROLES: list[tuple[str | None, str, Role | None]] = [
    ("POST", r"^/v1/cases/[^/]+/(progress|request-closure|evidence)$", Role.UNIT),
    ("POST", r"^/v1/cases/[^/]+/sign-off$", Role.LEADER),
    ("POST", r"^/v1/cases/", Role.INSPECTION_OFFICE),
    ("POST", r"^/v1/enforcement-cases", Role.ENFORCEMENT),
    ("POST", r"^/v1/measures", Role.DISCIPLINE),
    ("POST", r"^/v1/audit/checkpoints$", Role.DISCIPLINE),
    # The report API as the inspection office enters reports: only staff name an official source, batch or reference.
    ("POST", r"^/v1/reports$", Role.INSPECTION_OFFICE),
    ("POST", r"^/report$", None),
    (None, r"^/v1/reports/[^/]+/contact", Role.OPERATOR),
    ("POST", r"^/v1/hotline-calls", Role.OPERATOR),
    ("POST", r"^/v1/", Role.INSPECTION_OFFICE),
    (None, r".*", Role.LEADER),
]


def role_for(method: str, path: str) -> Role | None:
    for rule_method, pattern, role in ROUTE_ROLES:
        if (rule_method is None or rule_method == method) and re.search(pattern, path):
            return role
    return None


class RoleAuth(httpx.Auth):
    """Signs requests that carry no Authorization header of their own."""

    requires_response_body = True  # the unit lookup reads the case

    def __init__(self, settings: ServiceSettings | None = None) -> None:
        """Tokens of the tests' issuer for the services with these settings (default: the default audience)."""
        self._settings = settings

    def token(self, role: Role, subject: str = "anonymous", unit: str | None = None) -> str:
        return issue_token(self._settings, subject=subject, role=role, unit=unit)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if "authorization" in request.headers:
            yield request
            return
        role = role_for(request.method, request.url.path)
        if role is None:
            yield request
            return
        subject = unquote(request.headers.get("x-actor", "")).strip() or "anonymous"
        unit = None
        if role is Role.UNIT:
            case_path = request.url.path.rsplit("/", 1)[0]
            lookup = httpx.Request("GET", request.url.copy_with(path=case_path, query=None))
            lookup.headers["Authorization"] = f"Bearer {self.token(Role.LEADER)}"
            case = yield lookup
            assignment = case.json().get("assignment") if case.status_code == 200 else None
            unit = (assignment or {}).get("unit") or "未交办"
        request.headers["Authorization"] = f"Bearer {self.token(role, subject, unit)}"
        yield request
