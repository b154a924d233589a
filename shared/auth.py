"""Who is calling, and what their role allows: bearer tokens (JWT) verified with the configured key.

Roles (角色):
- public: citizens submitting reports
- operator: intake operators (12369 / county hotline), the only role that may read a reporter's contact
- inspection_office: 督察办, assigns, supervises, verifies, extends
- unit: a responsible unit (责任单位), progress and closure requests on its own cases only
- leader: county leaders, read everything
- discipline: 纪委监委, imposes and revokes measures
- enforcement: 执法, enforcement cases
- viewer: dashboards and stats

What a token must carry to pass (JWT, HS256 with JWT_SECRET): `sub`, `role`, `iss` = JWT_ISSUER, `aud` =
JWT_AUDIENCE, `iat` and `exp`. The clock of whoever signed it may be off by JWT_LEEWAY_SECONDS (30 s), and a token
that lives longer than JWT_MAX_LIFETIME_HOURS (exp − iat, 12 h) is refused, whoever signed it.
"""

import argparse
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

import jwt
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import ValidationError

from shared.errors import Forbidden
from shared.settings import ServiceSettings, refusal
from shared.stack_keys import use_stack_keys


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
    subject: str
    role: Role
    unit: str | None = None

    @property
    def actor(self) -> str:
        """How the caller is named on the events it causes: the person, as the token names them."""
        return self.subject


def issue_token(
    settings: ServiceSettings,
    *,
    subject: str,
    role: Role,
    unit: str | None = None,
    ttl: timedelta | None = None,
) -> str:
    """A token for the services with these settings; `ttl` defaults to, and may not exceed, the longest they accept."""
    lifetime = settings.jwt_max_lifetime if ttl is None else ttl
    if lifetime > settings.jwt_max_lifetime:
        raise ValueError(
            f"有效期不能超过 {settings.jwt_max_lifetime_hours:g} 小时（JWT_MAX_LIFETIME_HOURS）。"
            f" A token may live at most {settings.jwt_max_lifetime_hours:g} hours (JWT_MAX_LIFETIME_HOURS)."
        )
    now = datetime.now(UTC).replace(microsecond=0)
    claims: dict[str, object] = {
        "sub": subject,
        "role": role.value,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + lifetime,
    }
    if unit:
        claims["unit"] = unit
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")


def verify_token(settings: ServiceSettings, token: str) -> Principal:
    """Raises 401 with a zh-CN message when the token is malformed, signed by another key or for another audience,
    expired (beyond the leeway), issued in the future, or made to live longer than the services allow."""
    try:
        claims = jwt.decode(
            token,
            settings.jwt_secret,
            algorithms=["HS256"],
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            leeway=settings.jwt_leeway_seconds,
            options={"require": ["exp", "iat", "sub", "role", "iss", "aud"]},
        )
        role = Role(claims["role"])
    except jwt.ExpiredSignatureError as exc:
        raise _unauthorized("token_expired", "登录已过期，请重新登录") from exc
    except jwt.InvalidAudienceError as exc:
        raise _unauthorized("token_audience_mismatch", "身份凭证不是签发给本系统的，请重新登录") from exc
    except jwt.MissingRequiredClaimError as exc:
        if exc.claim == "aud":
            raise _unauthorized("token_audience_mismatch", "身份凭证未注明使用对象，请重新登录") from exc
        raise _unauthorized("token_invalid", "身份凭证无效，请重新登录") from exc
    except jwt.ImmatureSignatureError as exc:
        raise _unauthorized("token_not_yet_valid", "身份凭证的签发时间晚于当前时间，请检查系统时间后重新登录") from exc
    except (jwt.InvalidTokenError, ValueError) as exc:
        raise _unauthorized("token_invalid", "身份凭证无效，请重新登录") from exc
    if int(claims["exp"]) - int(claims["iat"]) > settings.jwt_max_lifetime.total_seconds():
        raise _unauthorized(
            "token_lifetime_exceeded",
            f"身份凭证有效期超过 {settings.jwt_max_lifetime_hours:g} 小时的上限，请重新登录",
        )
    if role is Role.UNIT and not claims.get("unit"):
        raise _unauthorized("token_invalid", "责任单位账号缺少单位信息")
    return Principal(subject=str(claims["sub"]), role=role, unit=claims.get("unit"))


def _unauthorized(code: str, message: str) -> HTTPException:
    return HTTPException(
        status_code=401, detail={"code": code, "message": message}, headers={"WWW-Authenticate": "Bearer"}
    )


_bearer = HTTPBearer(auto_error=False)


def current_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    if credentials is None:
        raise _unauthorized("token_missing", "请先登录（缺少身份凭证）")
    # The running service's settings, from its lifespan state (shared.service): the token key lives there.
    settings: ServiceSettings = request.state.settings
    return verify_token(settings, credentials.credentials)


def optional_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal | None:
    """For routes open to the public: a token, when sent, must still be valid."""
    if credentials is None:
        return None
    return current_principal(request, credentials)


def require(*roles: Role) -> Any:
    """A dependency that lets only the given roles through (403 otherwise); it yields the Principal."""
    allowed = frozenset(roles)

    def check(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if principal.role not in allowed:
            names = "、".join(ROLE_LABELS[r] for r in Role if r in allowed)
            raise Forbidden(f"{ROLE_LABELS[principal.role]}无权进行此操作（需要：{names}）")
        return principal

    return Depends(check)


def acting_as(*roles: Role) -> Any:
    """Like require(), but yields the actor's name for the events the request causes."""

    def actor(principal: Annotated[Principal, require(*roles)]) -> str:
        return principal.actor

    return Depends(actor)


def main() -> None:
    """`make token`: a token for the local stack, signed with its key (JWT_SECRET, else .run/secrets.env)."""
    parser = argparse.ArgumentParser(description="Issue a token for the local stack (本机身份凭证)")
    parser.add_argument("--role", required=True, choices=[r.value for r in Role])
    parser.add_argument("--unit", default=None, help="the responsible unit, for role unit")
    parser.add_argument("--subject", default="dev", help="who the token names")
    parser.add_argument("--hours", type=float, default=None, help="lifetime (default and most: JWT_MAX_LIFETIME_HOURS)")
    args = parser.parse_args()
    use_stack_keys()
    try:
        settings = ServiceSettings()
    except ValidationError as exc:
        sys.exit(f"无法签发身份凭证 / cannot sign a token:\n{refusal(exc)}")
    ttl = None if args.hours is None else timedelta(hours=args.hours)
    try:
        token = issue_token(settings, subject=args.subject, role=Role(args.role), unit=args.unit, ttl=ttl)
    except ValueError as exc:
        parser.error(str(exc))
    print(token)


if __name__ == "__main__":
    main()
