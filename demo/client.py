"""The county's people at the HTTP doors of the five services: each request signed with its role's token.

Only the public APIs: a request that conflicts with a concurrent change (409 version_conflict) or meets
a service that is busy is sent again; any other refusal stops the demo with the service's own message.
"""

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx

from shared.auth import Role, issue_token
from shared.settings import ServiceSettings

ATTEMPTS = 6
RETRIED_STATUS = frozenset({409, 429, 502, 503, 504})


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

    def __init__(self, urls: Urls, settings: ServiceSettings, client: httpx.AsyncClient, concurrency: int) -> None:
        self.urls = urls
        self._settings = settings
        self._client = client
        self._slots = asyncio.Semaphore(concurrency)
        self.requests = 0
        self._tokens: dict[tuple[Role, str, str | None], str] = {}

    def token(self, role: Role, subject: str, unit: str | None = None) -> str:
        key = (role, subject, unit)
        if key not in self._tokens:
            self._tokens[key] = issue_token(self._settings, subject=subject, role=role, unit=unit)
        return self._tokens[key]

    async def send(
        self,
        method: str,
        url: str,
        *,
        role: Role | None,
        subject: str = "demo",
        unit: str | None = None,
        body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
        missing_ok: bool = False,
    ) -> dict[str, Any] | None:
        """The JSON answer; None for a 404 when `missing_ok` (a case not opened yet)."""
        headers = {"Authorization": f"Bearer {self.token(role, subject, unit)}"} if role else {}
        for attempt in range(1, ATTEMPTS + 1):
            try:
                async with self._slots:
                    self.requests += 1
                    response = await self._client.request(method, url, json=body, params=params, headers=headers)
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
