"""Development sign-in (开发用户): people of every role in the identity provider, for `make up` only.

The realm `county` comes from infra/keycloak/import/county-realm.json and holds no person and no client that signs
in by password. On a development machine `make up` runs `python -m shared.identity dev-users`, which, through
Keycloak's admin REST API as the bootstrap admin (KEYCLOAK_ADMIN_PASSWORD, .run/secrets.env):

- adds the client `dev-cli` (public, direct access grants on, no browser flow) with the same token mappers as the
  workbench client, so a command can sign a person in by password (`password_grant`);
- adds one user per role and, for the role unit, one per unit in DEV_UNITS, each with a random password that meets
  the realm's policy, kept in .run/dev-users.env (mode 600; a user already there keeps theirs). The demo adds one
  per unit of its county the same way (`unit_user`, `ensure_dev_users`), under the same two guards.

Never in production, enforced twice in `main` (and in the demo, by `refusal`): it refuses unless
ENVIRONMENT=development is set explicitly (the Makefile's `up` sets it for this command alone, `demo` for the demo;
docker-compose.yml never runs it), and unless Keycloak is on this machine (a loopback address). No service imports
this module.
"""

import argparse
import hashlib
import os
import secrets
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from shared import stack_keys
from shared.auth import ROLE_LABELS, Role
from shared.settings import DEVELOPMENT

REALM = "county"
WORKBENCH_CLIENT = "workbench"
DEV_CLIENT = "dev-cli"
DEV_UNITS = ("城关镇人民政府", "河口镇人民政府", "县生态环境局")
PASSWORDS_FILE = stack_keys.STATE_DIR / "dev-users.env"
TIMEOUT = httpx.Timeout(30.0)


@dataclass(frozen=True)
class DevUser:
    username: str
    role: Role
    unit: str | None = None


def dev_users() -> tuple[DevUser, ...]:
    """One person per role; the role unit once per unit (`dev-unit-1` is 城关镇人民政府, and so on)."""
    people = [DevUser(f"dev-{role.value.replace('_', '-')}", role) for role in Role if role is not Role.UNIT]
    people += [unit_user(unit) for unit in DEV_UNITS]
    return tuple(people)


def unit_user(unit: str) -> DevUser:
    """The development user of a unit: `dev-unit-<n>` for the n-th of DEV_UNITS, else one named by a digest of the
    unit's name (the demo's units: user names stay ASCII and the same from run to run)."""
    if unit in DEV_UNITS:
        return DevUser(f"dev-unit-{DEV_UNITS.index(unit) + 1}", Role.UNIT, unit)
    return DevUser(f"dev-unit-{hashlib.sha256(unit.encode()).hexdigest()[:10]}", Role.UNIT, unit)


def new_password() -> str:
    """Random, and within the realm's policy (12+ characters, upper and lower case, a digit)."""
    return f"{secrets.token_urlsafe(15)}Aa7"


def admin_client(base_url: str, admin_password: str) -> httpx.Client:
    """An HTTP client for `{base_url}/admin/realms/...`, signed in as the master realm's bootstrap admin."""
    token = password_grant(base_url, "admin", admin_password, realm="master", client_id="admin-cli")
    return httpx.Client(
        base_url=f"{base_url}/admin/realms",
        headers={"Authorization": f"Bearer {token['access_token']}"},
        timeout=TIMEOUT,
    )


def password_grant(
    base_url: str, username: str, password: str, *, realm: str = REALM, client_id: str = DEV_CLIENT
) -> dict[str, Any]:
    """Sign in by password (direct access grant): the token response, or httpx.HTTPStatusError when refused."""
    response = httpx.post(
        f"{base_url}/realms/{realm}/protocol/openid-connect/token",
        data={
            "grant_type": "password",
            "client_id": client_id,
            "username": username,
            "password": password,
            "scope": "openid",
        },
        timeout=TIMEOUT,
    )
    response.raise_for_status()
    token: dict[str, Any] = response.json()
    return token


def ensure_dev_client(admin: httpx.Client) -> None:
    """`dev-cli`: public, password sign-in only, the workbench's token mappers (aud county-env, unit)."""
    if _client(admin, DEV_CLIENT) is not None:
        return
    workbench = _client(admin, WORKBENCH_CLIENT)
    if workbench is None:
        raise RuntimeError(f"realm {REALM} has no client {WORKBENCH_CLIENT}: was it imported? (infra/keycloak.sh)")
    mappers = [{k: v for k, v in m.items() if k != "id"} for m in workbench.get("protocolMappers", [])]
    created = admin.post(
        f"/{REALM}/clients",
        json={
            "clientId": DEV_CLIENT,
            "name": "开发命令行（仅开发环境）",
            "publicClient": True,
            "standardFlowEnabled": False,
            "directAccessGrantsEnabled": True,
            "protocolMappers": mappers,
        },
    )
    created.raise_for_status()


def ensure_user(admin: httpx.Client, user: DevUser, password: str | None) -> str:
    """The user with their role; returns their password. A new user gets `password` (a new one when None); one who
    exists keeps theirs when it is known (`password`), else gets a new one."""
    found = admin.get(f"/{REALM}/users", params={"username": user.username, "exact": "true"})
    found.raise_for_status()
    if found.json():
        user_id: str = found.json()[0]["id"]
        if password is None:
            password = new_password()
            admin.put(
                f"/{REALM}/users/{user_id}/reset-password",
                json={"type": "password", "value": password, "temporary": False},
            ).raise_for_status()
    else:
        password = password or new_password()
        created = admin.post(
            f"/{REALM}/users",
            json={
                "username": user.username,
                "enabled": True,
                "firstName": ROLE_LABELS[user.role],
                "lastName": user.unit or "开发用户",
                "attributes": {"unit": [user.unit]} if user.unit else {},
                "credentials": [{"type": "password", "value": password, "temporary": False}],
            },
        )
        created.raise_for_status()
        user_id = created.headers["Location"].rsplit("/", 1)[1]
    role = admin.get(f"/{REALM}/roles/{user.role.value}")
    role.raise_for_status()
    admin.post(f"/{REALM}/users/{user_id}/role-mappings/realm", json=[role.json()]).raise_for_status()
    return password


def _client(admin: httpx.Client, client_id: str) -> dict[str, Any] | None:
    response = admin.get(f"/{REALM}/clients", params={"clientId": client_id})
    response.raise_for_status()
    clients: list[dict[str, Any]] = response.json()
    return clients[0] if clients else None


def read_passwords(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    lines = (line.partition("=") for line in path.read_text(encoding="utf-8").splitlines())
    return {name: value for name, sep, value in lines if sep and not name.startswith("#")}


def write_passwords(path: Path, passwords: dict[str, str]) -> None:
    """Owner-only from the first byte on."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write("# Development users of the local Keycloak (make up). Never on a production server.\n")
        out.writelines(f"{name}={value}\n" for name, value in passwords.items())
    os.replace(temporary, path)


def ensure_dev_users(base_url: str, admin_password: str, path: Path, users: Iterable[DevUser]) -> dict[str, str]:
    """The dev client and the users; their passwords, as kept in `path`."""
    passwords = read_passwords(path)
    with admin_client(base_url, admin_password) as admin:
        ensure_dev_client(admin)
        for user in users:
            passwords[user.username] = ensure_user(admin, user, passwords.get(user.username))
    write_passwords(path, passwords)
    return passwords


def refusal(environment: str, base_url: str) -> str | None:
    """Why the development users may not be created here, or None."""
    if environment != DEVELOPMENT:
        return (
            "开发用户只能在开发环境创建（ENVIRONMENT=development，由 make up 设置）。"
            f" Development users are created only with ENVIRONMENT=development (make up); ENVIRONMENT={environment!r}."
        )
    if urlsplit(base_url).hostname not in {"127.0.0.1", "localhost", "::1"}:
        return (
            f"开发用户只能在本机的 Keycloak 上创建，{base_url} 不是本机地址。"
            f" Development users are created only on a Keycloak on this machine, not {base_url}."
        )
    return None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m shared.identity", description="开发用户（仅开发环境）")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("dev-users", help="create the dev client and one user per role (make up)")
    create.add_argument("--url", default="http://127.0.0.1:8180", help="Keycloak's base URL (infra/keycloak.sh url)")
    create.add_argument("--passwords", type=Path, default=PASSWORDS_FILE, help="where the passwords are kept")
    args = parser.parse_args(argv)
    why_not = refusal(os.environ.get("ENVIRONMENT", "production"), args.url)
    if why_not:
        sys.exit(why_not)
    admin_password = os.environ.get("KEYCLOAK_ADMIN_PASSWORD") or stack_keys.read().get("KEYCLOAK_ADMIN_PASSWORD")
    if not admin_password:
        sys.exit("KEYCLOAK_ADMIN_PASSWORD 未设置 / is not set (.run/secrets.env: make up)")
    users = dev_users()
    ensure_dev_users(args.url, admin_password, args.passwords, users)
    print(f"开发用户 development users (realm {REALM}, passwords in {args.passwords}):")
    print("\n".join(listing(users)))
    print(f"  sign in: {args.url}/realms/{REALM}/account (browser), or by password through client {DEV_CLIENT}")


def listing(users: Iterable[DevUser], passwords: dict[str, str] | None = None) -> list[str]:
    """One line per development user: name, role in Chinese, unit, and the password when given."""
    lines = []
    for user in users:
        password = f"{passwords.get(user.username, '?'):<26} " if passwords is not None else ""
        lines.append(f"  {user.username:<22} {password}{ROLE_LABELS[user.role]}{'  ' + user.unit if user.unit else ''}")
    return lines


if __name__ == "__main__":
    main()
