"""Signing in for the project's own commands (命令行登录): `make token`, the demo, bench, drill and fuzz.

In development they sign in as one of `make up`'s development users (shared/identity.py; passwords in
.run/dev-users.env, or DEV_USERS_FILE) by password, through the `dev-cli` client of the realm at OIDC_ISSUER (the
issuer the services trust, default `make up`'s Keycloak). Access tokens live 5 minutes, and a drill runs 8:
`SignedIn`, an httpx.Auth, puts a fresh access token on every request, getting a new one REFRESH_MARGIN seconds
before the old one expires with the refresh token, or by password again when the refresh token is refused or the
sign-in session has ended. One exchange at a time; the others wait for it and use its token. A refused sign-in is
not tried again for REFUSED_SECONDS: the requests meanwhile fail with the same refusal.

Only development users are here: a production server has none (the development client and users are `make up`'s).
"""

import argparse
import asyncio
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared import identity
from shared.auth import ROLE_LABELS, Role
from shared.settings import LOCAL_OIDC_ISSUER

REFRESH_MARGIN = 30.0
# After a refused sign-in, requests fail at once for this long instead of each trying again: a wrong password would
# otherwise lock the account (the realm locks a user after 5 failures) under a load generator's hundreds of requests.
REFUSED_SECONDS = 30.0
TIMEOUT = httpx.Timeout(30.0)


class SignInSettings(BaseSettings):
    """Where a command signs in: the services' issuer, and the development users' passwords."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore")

    oidc_issuer: str = LOCAL_OIDC_ISSUER
    dev_users_file: Path = identity.PASSWORDS_FILE


@dataclass(frozen=True)
class Account:
    """A person who signs in by password at an issuer."""

    issuer: str
    username: str
    password: str
    client_id: str = identity.DEV_CLIENT

    @property
    def token_url(self) -> str:
        return f"{self.issuer.rstrip('/')}/protocol/openid-connect/token"


def dev_account(role: Role, unit: str | None = None, settings: SignInSettings | None = None) -> Account:
    """The development user of this role (and, for the role unit, of this unit; default the first unit)."""
    settings = settings or SignInSettings()
    if role is Role.UNIT:
        username = identity.unit_user(unit or identity.DEV_UNITS[0]).username
    else:
        (username,) = [user.username for user in identity.dev_users() if user.role is role]
    password = identity.read_passwords(settings.dev_users_file).get(username)
    if not password:
        units = "、".join(identity.DEV_UNITS)
        raise ValueError(
            f"{settings.dev_users_file} 中没有开发用户 {username}（{ROLE_LABELS[role]}{' ' + unit if unit else ''}）"
            f"的密码：请先运行 make up，它创建各角色的开发用户（责任单位：{units}）。"
            f" No password for the development user {username} in {settings.dev_users_file}: run make up first"
            " (it creates the development users: one per role, and units " + ", ".join(identity.DEV_UNITS) + ")."
        )
    return Account(settings.oidc_issuer, username, password)


class SignedIn(httpx.Auth):
    """An httpx.Auth that signs requests as `account`, for sync and async clients alike."""

    def __init__(self, account: Account, *, margin: float = REFRESH_MARGIN) -> None:
        self.account = account
        self._margin = margin
        self._access = ""
        self._refresh = ""
        self._access_until = 0.0
        self._refresh_until = 0.0
        self._sync_lock = threading.Lock()
        self._async_lock: asyncio.Lock | None = None
        self._refused: httpx.HTTPStatusError | None = None
        self._refused_until = 0.0
        self.exchanges = 0

    def token(self) -> str:
        """A fresh access token (blocking)."""
        with self._sync_lock:
            form = self._due()
            if form is not None:
                with httpx.Client(timeout=TIMEOUT) as client:
                    response = client.post(self.account.token_url, data=form)
                    if _refresh_refused(form, response):
                        response = client.post(self.account.token_url, data=self._password_form())
                    self._keep(response)
            return self._access

    async def atoken(self) -> str:
        """A fresh access token."""
        self._async_lock = self._async_lock or asyncio.Lock()
        async with self._async_lock:
            form = self._due()
            if form is not None:
                async with httpx.AsyncClient(timeout=TIMEOUT) as client:
                    response = await client.post(self.account.token_url, data=form)
                    if _refresh_refused(form, response):
                        response = await client.post(self.account.token_url, data=self._password_form())
                    self._keep(response)
            return self._access

    def sync_auth_flow(self, request: httpx.Request) -> Any:
        request.headers["Authorization"] = f"Bearer {self.token()}"
        yield request

    async def async_auth_flow(self, request: httpx.Request) -> Any:
        request.headers["Authorization"] = f"Bearer {await self.atoken()}"
        yield request

    def _due(self) -> dict[str, str] | None:
        """The token request to make now, or None while the access token is good for `margin` more seconds."""
        now = time.time()
        if self._refused is not None and now < self._refused_until:
            raise self._refused
        if self._access and now < self._access_until - self._margin:
            return None
        if self._refresh and now < self._refresh_until - self._margin:
            return {"grant_type": "refresh_token", "client_id": self.account.client_id, "refresh_token": self._refresh}
        return self._password_form()

    def _password_form(self) -> dict[str, str]:
        return {
            "grant_type": "password",
            "client_id": self.account.client_id,
            "username": self.account.username,
            "password": self.account.password,
            "scope": "openid",
        }

    def _keep(self, response: httpx.Response) -> None:
        self.exchanges += 1
        try:
            response.raise_for_status()
        except httpx.HTTPStatusError as exc:
            self._refused, self._refused_until = exc, time.time() + REFUSED_SECONDS
            raise
        self._refused = None
        body = response.json()
        now = time.time()
        self._access = str(body["access_token"])
        self._access_until = now + float(body.get("expires_in", 60))
        self._refresh = str(body.get("refresh_token", ""))
        self._refresh_until = now + float(body.get("refresh_expires_in", 0))


def _refresh_refused(form: dict[str, str], response: httpx.Response) -> bool:
    """A refresh the issuer refused (the sign-in session ended or was revoked): sign in by password again."""
    return form["grant_type"] == "refresh_token" and response.status_code in (400, 401)


def signed_in(role: Role, unit: str | None = None, settings: SignInSettings | None = None) -> SignedIn:
    """Requests signed as the development user of this role (and unit)."""
    return SignedIn(dev_account(role, unit, settings))


def main(argv: list[str] | None = None) -> None:
    """`make token`: an access token of the development user of a role, signed in through Keycloak."""
    parser = argparse.ArgumentParser(prog="python -m shared.signin", description="开发用户的访问令牌（make token）")
    parser.add_argument("--role", required=True, choices=[r.value for r in Role])
    parser.add_argument("--unit", default=None, help=f"for role unit: one of {', '.join(identity.DEV_UNITS)}")
    args = parser.parse_args(argv)
    role = Role(args.role)
    try:
        auth = signed_in(role, args.unit)
        token = auth.token()
    except ValueError as exc:
        sys.exit(str(exc))
    except httpx.HTTPError as exc:
        sys.exit(
            f"无法登录统一身份认证（{auth.account.issuer}）：{exc}。Keycloak 是否已启动（make up）？"
            f" Cannot sign in at {auth.account.issuer}: is Keycloak up (make up)?"
        )
    who = f"{auth.account.username}（{ROLE_LABELS[role]}）"
    print(f"{who}: 访问令牌 5 分钟内有效 / the access token lives 5 minutes", file=sys.stderr)
    print(token)


if __name__ == "__main__":
    main()
