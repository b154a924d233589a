"""Who is calling, and what their role allows: bearer tokens (JWT) of the identity provider, verified with its keys.

Roles (角色):
- public: citizens submitting reports
- operator: intake operators (12369 / county hotline), the only role that may read a reporter's contact
- inspection_office: 督察办, assigns, supervises, verifies, extends
- unit: a responsible unit (责任单位), progress and closure requests on its own cases only
- leader: county leaders, read everything
- discipline: 纪委监委, imposes and revokes measures
- enforcement: 执法, enforcement cases
- viewer: dashboards and stats

What an access token must be to pass: RS256 (no other algorithm, never `none` or HS*), signed by a key the issuer
publishes (shared/jwks.py) under the key id in its header; `iss` = OIDC_ISSUER, `aud` including JWT_AUDIENCE,
`sub`, `preferred_username` (the person, named on the events they cause), `iat` and `exp`; exactly one of the
roles above in `realm_access.roles` (Keycloak adds its own, such as default-roles-county: those are ignored); and,
for the role unit, the `unit` claim. The clock of the issuer may be off by JWT_LEEWAY_SECONDS (30 s), and a token
that lives longer than JWT_MAX_LIFETIME_HOURS (exp − iat, 12 h) is refused, whoever signed it.

No role, or two of them, is 403, not 401: the token is genuine and signing in again gives the same one; the
account is set up wrong, which only an administrator can fix, and guessing one of two roles would hand someone
rights nobody gave them on purpose.
"""

import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

import jwt
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.errors import Forbidden
from shared.jwks import MAX_VERIFIED, KeysUnavailable, SigningKeys
from shared.settings import ServiceSettings


class Role(StrEnum):
    PUBLIC = "public"
    OPERATOR = "operator"
    INSPECTION_OFFICE = "inspection_office"
    UNIT = "unit"
    LEADER = "leader"
    DISCIPLINE = "discipline"
    ENFORCEMENT = "enforcement"
    VIEWER = "viewer"


# Everyone who works in the system; `public` only submits reports.
STAFF: tuple[Role, ...] = tuple(role for role in Role if role is not Role.PUBLIC)

ROLE_LABELS: dict[Role, str] = {
    Role.PUBLIC: "公众",
    Role.OPERATOR: "受理员",
    Role.INSPECTION_OFFICE: "督察办",
    Role.UNIT: "责任单位",
    Role.LEADER: "县领导",
    Role.DISCIPLINE: "纪委监委",
    Role.ENFORCEMENT: "执法人员",
    Role.VIEWER: "查看人员",
}


@dataclass(frozen=True)
class Principal:
    """The person behind a token: their user name (`preferred_username`), role and, for a unit, its name."""

    subject: str
    role: Role
    unit: str | None = None

    @property
    def actor(self) -> str:
        """How the caller is named on the events it causes: the person, as the token names them."""
        return self.subject


def signing_keys(settings: ServiceSettings) -> SigningKeys:
    """The issuer's keys for a service with these settings (its lifespan makes one and closes it)."""
    return SigningKeys(
        settings.jwks_url,
        min_refresh_seconds=settings.jwks_min_refresh_seconds,
        max_age_seconds=settings.jwks_max_age_seconds,
    )


async def verify_token(settings: ServiceSettings, keys: SigningKeys, token: str) -> Principal:
    """Raises 401 with a zh-CN message when the token is malformed, not RS256, signed by a key the issuer does not
    publish, from another issuer or for another audience, expired (beyond the leeway), issued in the future, or made
    to live longer than the services allow; 403 when it names no role of the services or more than one; 503 when
    the issuer's keys cannot be had.

    A token that passed is remembered (`keys.verified`) until it expires: the same token again costs a dictionary
    lookup instead of an RS256 check (issue 14: verification was the largest share of intake's request path).
    """
    known = keys.verified.get(token)
    if isinstance(known, Verified):
        if await _still_valid(settings, keys, known):
            return known.principal
        del keys.verified[token]
    principal, verified = await _verify(settings, keys, token)
    if len(keys.verified) >= MAX_VERIFIED:
        del keys.verified[next(iter(keys.verified))]  # the oldest first
    keys.verified[token] = verified
    return principal


@dataclass(frozen=True)
class Verified:
    """A token that passed every rule: whom it names, the key that signed it, and when it expires (UNIX seconds)."""

    principal: Principal
    kid: str
    key: Any
    expires: float


async def _still_valid(settings: ServiceSettings, keys: SigningKeys, known: Verified) -> bool:
    """A token verified before passes again, its signature not checked again, while it has not expired (with the
    leeway) and the issuer still publishes the key that signed it, by the keys' own refresh rules: a key withdrawn
    stops being trusted when the keys are next fetched, as for a token seen the first time."""
    try:
        key = await keys.key(known.kid)
    except KeysUnavailable:
        return False
    return key is known.key and wall_clock() < known.expires + settings.jwt_leeway_seconds


async def _verify(settings: ServiceSettings, keys: SigningKeys, token: str) -> tuple[Principal, Verified]:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError as exc:
        raise _unauthorized("token_invalid", "身份凭证无效，请重新登录") from exc
    kid = header.get("kid")
    if header.get("alg") != "RS256" or not isinstance(kid, str):
        raise _unauthorized("token_invalid", "身份凭证无效，请重新登录")
    try:
        key = await keys.key(kid)
    except KeysUnavailable as exc:
        raise HTTPException(
            status_code=503,
            detail={"code": "identity_provider_unavailable", "message": "统一身份认证暂不可用，请稍后再试"},
            headers={"Retry-After": "10"},
        ) from exc
    if key is None:
        raise _unauthorized("token_invalid", "身份凭证无效（签名密钥未知），请重新登录")
    claims = _decoded(settings, key, token)
    if int(claims["exp"]) - int(claims["iat"]) > settings.jwt_max_lifetime.total_seconds():
        raise _unauthorized(
            "token_lifetime_exceeded",
            f"身份凭证有效期超过 {settings.jwt_max_lifetime_hours:g} 小时的上限，请重新登录",
        )
    role = role_of(claims)
    unit = claims.get("unit")
    if role is Role.UNIT and not (isinstance(unit, str) and unit):
        raise _unauthorized("token_invalid", "责任单位账号缺少单位信息，请联系管理员在账号上设置所属单位")
    principal = Principal(subject=str(claims["preferred_username"]), role=role, unit=unit or None)
    return principal, Verified(principal=principal, kid=kid, key=key, expires=float(claims["exp"]))


def _decoded(settings: ServiceSettings, key: Any, token: str) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=["RS256"],
            issuer=settings.oidc_issuer,
            audience=settings.jwt_audience,
            leeway=settings.jwt_leeway_seconds,
            options={"require": ["exp", "iat", "sub", "iss", "aud", "preferred_username"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise _unauthorized("token_expired", "登录已过期，请重新登录") from exc
    except jwt.InvalidAudienceError as exc:
        raise _unauthorized("token_audience_mismatch", "身份凭证不是签发给本系统的，请重新登录") from exc
    except jwt.InvalidIssuerError as exc:
        raise _unauthorized("token_invalid", "身份凭证不是本系统的统一身份认证签发的，请重新登录") from exc
    except jwt.MissingRequiredClaimError as exc:
        if exc.claim == "aud":
            raise _unauthorized("token_audience_mismatch", "身份凭证未注明使用对象，请重新登录") from exc
        raise _unauthorized("token_invalid", "身份凭证无效，请重新登录") from exc
    except jwt.ImmatureSignatureError as exc:
        raise _unauthorized("token_not_yet_valid", "身份凭证的签发时间晚于当前时间，请检查系统时间后重新登录") from exc
    except jwt.InvalidTokenError as exc:
        raise _unauthorized("token_invalid", "身份凭证无效，请重新登录") from exc
    return claims


def role_of(claims: dict[str, Any]) -> Role:
    """The one role of the services among the token's realm roles; 403 for none or several."""
    access = claims.get("realm_access")
    granted = access.get("roles") if isinstance(access, dict) else None
    names = {name for name in granted if isinstance(name, str)} if isinstance(granted, list) else set()
    roles = [role for role in Role if role.value in names]
    if not roles:
        raise Forbidden("账号未被授予本系统的任何角色，请联系管理员在统一身份认证中分配一个角色")
    if len(roles) > 1:
        labels = "、".join(ROLE_LABELS[role] for role in roles)
        raise Forbidden(f"账号同时拥有多个角色（{labels}），无法确定身份，请联系管理员只保留一个")
    return roles[0]


def _unauthorized(code: str, message: str) -> HTTPException:
    return HTTPException(
        status_code=401, detail={"code": code, "message": message}, headers={"WWW-Authenticate": "Bearer"}
    )


_bearer = HTTPBearer(auto_error=False)

# UNIX time, as the tokens' `exp` (the tests move it).
wall_clock = time.time


async def current_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    if credentials is None:
        raise _unauthorized("token_missing", "请先登录（缺少身份凭证）")
    # The running service's settings and the issuer's keys, from its lifespan state (shared.service).
    settings: ServiceSettings = request.state.settings
    keys: SigningKeys = request.state.keys
    return await verify_token(settings, keys, credentials.credentials)


async def optional_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal | None:
    """For routes open to the public: a token, when sent, must still be valid."""
    if credentials is None:
        return None
    return await current_principal(request, credentials)


async def sender_of(request: Request) -> Principal | None:
    """`optional_principal` as a plain call, for a route's one folded dependency: the bearer token read as
    `HTTPBearer` reads it (scheme `Bearer`, any case; anything else is no token), without a sub-dependency for
    FastAPI to solve on every request (issue 14: each sub-dependency costs the report route ~20-40 µs)."""
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    credentials = credentials.strip()
    if not credentials or scheme.lower() != "bearer":
        return None
    return await verify_token(request.state.settings, request.state.keys, credentials)


def require(*roles: Role) -> Any:
    """A dependency that lets only the given roles through (403 otherwise); it yields the Principal."""
    allowed = frozenset(roles)

    async def check(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if principal.role not in allowed:
            names = "、".join(ROLE_LABELS[r] for r in Role if r in allowed)
            raise Forbidden(f"{ROLE_LABELS[principal.role]}无权进行此操作（需要：{names}）")
        return principal

    return Depends(check)


def acting_as(*roles: Role) -> Any:
    """Like require(), but yields the actor's name for the events the request causes."""

    async def actor(principal: Annotated[Principal, require(*roles)]) -> str:
        return principal.actor

    return Depends(actor)
