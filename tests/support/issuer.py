"""The tests' identity provider: it signs access tokens as Keycloak's realm `county` does, with an RSA key made for
this test session, and publishes the key (JWKS) over HTTP on 127.0.0.1 from a small server started once per session.

tests/conftest.py gives its issuer to every settings it builds and to the environment, so services in this process
and service processes trust it, as they trust Keycloak in production. Tests that need a token of a role call
`issue_token`; those about the token rules build their own with `claims` and `sign`.
"""

import json
import threading
import uuid
from collections.abc import Generator
from datetime import UTC, datetime, timedelta
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from shared.auth import Role
from shared.settings import ServiceSettings

REALM_PATH = "/realms/county"
CERTS_PATH = f"{REALM_PATH}/protocol/openid-connect/certs"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    """The key's public half as Keycloak publishes a signing key."""
    public: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    return public | {"kid": kid, "use": "sig", "alg": "RS256"}


class TestIssuer:
    """A signing key, the JWKS document that publishes it, and the HTTP server that serves the document."""

    __test__ = False  # not a test class, whatever its name

    def __init__(self) -> None:
        self.key = new_key()
        self.kid = uuid.uuid4().hex
        self.fetches = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        threading.Thread(target=self._server.serve_forever, name="test-issuer", daemon=True).start()
        self.issuer = f"http://127.0.0.1:{self._server.server_address[1]}{REALM_PATH}"

    def jwks(self) -> dict[str, Any]:
        return {"keys": [public_jwk(self.key, self.kid)]}

    def sign(self, claims: dict[str, Any], *, key: rsa.RSAPrivateKey | None = None, kid: str | None = None) -> str:
        """RS256 with this session's key (or `key`), naming `kid` (default this session's key id)."""
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": kid or self.kid})

    def claims(
        self,
        *,
        username: str,
        roles: list[str],
        unit: str | None = None,
        audience: str = "county-env",
        issuer: str | None = None,
        issued: datetime | None = None,
        ttl: timedelta = timedelta(minutes=5),
    ) -> dict[str, Any]:
        """What Keycloak's access token holds: its own roles beside ours, `aud` a list, the person's user name."""
        now = issued or datetime.now(UTC).replace(microsecond=0)
        claims: dict[str, Any] = {
            "iss": issuer or self.issuer,
            "aud": [audience, "account"],
            "sub": str(uuid.uuid5(uuid.NAMESPACE_URL, username)),
            "typ": "Bearer",
            "azp": "dev-cli",
            "preferred_username": username,
            "realm_access": {"roles": [*roles, "default-roles-county", "offline_access"]},
            "iat": now,
            "exp": now + ttl,
        }
        if unit:
            claims["unit"] = unit
        return claims

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path != CERTS_PATH:
                    self.send_error(404)
                    return
                issuer.fetches += 1
                body = json.dumps(issuer.jwks()).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


@cache
def session_issuer() -> TestIssuer:
    """The one test issuer of this session, started on first use."""
    return TestIssuer()


def issue_token(
    settings: ServiceSettings | None = None,
    *,
    subject: str,
    role: Role,
    unit: str | None = None,
    ttl: timedelta | None = None,
) -> str:
    """A token of the session issuer for the person `subject` (their user name) with one role, for the services
    with these settings (their audience); `ttl` defaults to Keycloak's 5 minutes."""
    issuer = session_issuer()
    audience = settings.jwt_audience if settings else "county-env"
    claims = issuer.claims(
        username=subject, roles=[role.value], unit=unit, audience=audience, ttl=ttl or timedelta(minutes=5)
    )
    return issuer.sign(claims)


class Bearer(httpx.Auth):
    """A fixed token on every request."""

    def __init__(self, token: str) -> None:
        self.token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self.token}"
        yield request


def people(role: Role, unit: str | None) -> httpx.Auth:
    """The demo's people (demo.client.People) as the tests' issuer signs them: one person per role and unit."""
    who = f"{role.value}{'-' + unit if unit else ''}"
    return Bearer(issue_token(subject=who, role=role, unit=unit, ttl=timedelta(hours=1)))
