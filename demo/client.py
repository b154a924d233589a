"""The county's people at the HTTP doors of the five services: each request signed by its role's person (`People`).

Only the public APIs: a request that conflicts with a concurrent change (409 version_conflict) or meets
a service that is busy is sent again; any other refusal stops the demo with the service's own message.
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from shared.auth import Role

ATTEMPTS = 6
# How the county's people sign in: an httpx.Auth per role (and unit). The demo's: make up's development users
# through Keycloak (shared.signin.signed_in); the tests': their own issuer.
People = Callable[[Role, str | None], httpx.Auth]
RETRIED_STATUS = frozenset({409, 429, 502, 503, 504})
# A request's JSON, or a function making it when the request leaves (a deadline relative to that moment).
Body = dict[str, Any] | Callable[[], dict[str, Any]]


@dataclass(frozen=True)
class Urls:
    intake: str
    cases: str
    enforcement: str
    accountability: str
    projections: str

    def all(self) -> dict[str, str]:
        return dict(self.__dict__)


class DemoError(RuntimeError):
    """A service refused a step of the script: the demo stops and says which and why."""


class County:
    """One HTTP client for every service, with at most `concurrency` requests in flight."""

    def __init__(self, urls: Urls, people: People, client: httpx.AsyncClient, concurrency: int) -> None:
        self.urls = urls
        self._people = people
        self._client = client
        self._slots = asyncio.Semaphore(concurrency)
        self.requests = 0
        self._signed: dict[tuple[Role, str | None], httpx.Auth] = {}

    def auth(self, role: Role, unit: str | None = None) -> httpx.Auth:
        """Who signs the requests of the role (and unit): the person the services name on the events."""
        key = (role, unit)
        if key not in self._signed:
            self._signed[key] = self._people(role, unit)
        return self._signed[key]

    async def send(
        self,
        method: str,
        url: str,
        *,
        role: Role | None,
        subject: str = "demo",
        unit: str | None = None,
        body: Body | None = None,
        files: dict[str, tuple[str, bytes]] | None = None,
        params: dict[str, str] | None = None,
        missing_ok: bool = False,
    ) -> dict[str, Any] | None:
        """The JSON answer; None for a 404 when `missing_ok` (a case not opened yet). `subject` is who acts in the
        script; the services name the development user of the role who signs the request. A `body` given as a
        function is made when the request leaves: a deadline a few seconds ahead is not spent waiting for a slot."""
        auth = self.auth(role, unit) if role else None
        for attempt in range(1, ATTEMPTS + 1):
            try:
                async with self._slots:
                    self.requests += 1
                    sent = body() if callable(body) else body
                    response = await self._client.request(method, url, json=sent, files=files, params=params, auth=auth)
            except httpx.TransportError as exc:
                if attempt == ATTEMPTS:
                    raise DemoError(f"{method} {url}: {exc!r}") from exc
            else:
                if response.status_code == 404 and missing_ok:
                    return None
                if response.is_success:
                    answer: dict[str, Any] = response.json()
                    return answer
                conflict = response.status_code == 409 and _code(response) != "version_conflict"
                if response.status_code not in RETRIED_STATUS or conflict or attempt == ATTEMPTS:
                    raise DemoError(f"{method} {url} → {response.status_code}: {response.text[:500]}")
            await asyncio.sleep(0.1 * 2**attempt)
        raise AssertionError("unreachable: the last attempt returns or raises")


def _code(response: httpx.Response) -> str | None:
    try:
        code = response.json().get("error", {}).get("code")
    except ValueError:
        return None
    return str(code) if code else None
