"""Who the load generators sign in as: `make up`'s development users, through Keycloak (shared/signin.py).

Reports are entered as an intake operator (受理员, as 12369 operators enter calls): anonymous
submissions are rate-limited per address, and a load generator is one address. 督察办 assigns and
verifies; the responsible unit (责任单位) asks for closure of its own cases; reads go out as a
county leader (县领导), who may read everything. Each is an httpx.Auth that keeps its access token fresh
(tokens live 5 minutes, runs last longer): pass it as a request's `auth`.
"""

from dataclasses import dataclass, fields

import httpx

from bench.samples import UNIT
from shared.auth import Role
from shared.signin import SignedIn, SignInSettings, signed_in


@dataclass(frozen=True)
class Tokens:
    operator: SignedIn
    office: SignedIn
    unit: SignedIn
    reader: SignedIn

    def for_command(self, path: str) -> SignedIn:
        return self.unit if path in ("request-closure", "progress", "evidence") else self.office


def tokens(settings: SignInSettings | None = None) -> Tokens:
    """The development users at the issuer of `settings` (default: OIDC_ISSUER and DEV_USERS_FILE, else make up's)."""
    return Tokens(
        operator=signed_in(Role.OPERATOR, settings=settings),
        office=signed_in(Role.INSPECTION_OFFICE, settings=settings),
        unit=signed_in(Role.UNIT, UNIT, settings),
        reader=signed_in(Role.LEADER, settings=settings),
    )


class SignInFailed(Exception):
    """The development users cannot sign in: said in words for the person who ran the command."""


def signed_in_now(settings: SignInSettings | None = None) -> Tokens:
    """`tokens`, each signed in once now: a load that cannot sign in is stopped before it starts, not after every
    stage has waited for reports that were all refused."""
    try:
        signed = tokens(settings)
        for role in fields(signed):
            getattr(signed, role.name).token()
    except ValueError as exc:  # no password for a development user: make up has not run on this machine
        raise SignInFailed(str(exc)) from exc
    except httpx.HTTPError as exc:
        issuer = (settings or SignInSettings()).oidc_issuer
        raise SignInFailed(
            f"无法以开发用户登录统一身份认证（{issuer}）：{exc}。请确认 Keycloak 已启动，且开发用户已由 make up 创建。"
            f" Cannot sign in as the development users at {issuer}: is Keycloak up, and has make up created them?"
        ) from exc
    return signed
