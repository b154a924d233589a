"""The drill's steady offered load, and the ledger of what the system acknowledged.

Reports arrive at a fixed rate. Each accepted report's case is then worked as a client would:
every other case is assigned with a deadline two seconds ahead (it will be missed), the rest are
assigned for thirty days, closure is requested and verified. A client that gets no answer retries:
a report with the same external reference (intake answers `already_received` with the same issue),
a case command with the same If-Match (a 409 showing the case already past that version means the
first attempt went through).
"""

import asyncio
import contextlib
import itertools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx

from bench import samples
from bench.tokens import Tokens

RETRY_FOR = 180.0  # a client keeps retrying this long before it gives up on a request
LATE_DEADLINE = timedelta(seconds=2)
LONG_DEADLINE = timedelta(days=30)
CONNECTIONS = 64  # the load's HTTP connections, and its requests in flight


@dataclass
class Ledger:
    accepted: dict[str, str] = field(default_factory=dict)  # external reference → issue id (from a 202)
    accepted_at: list[float] = field(default_factory=list)
    answered: list[tuple[float, str]] = field(default_factory=list)  # (moment, instance URL) of every answer < 500
    late: set[str] = field(default_factory=set)  # cases assigned a deadline that will pass
    on_time: set[str] = field(default_factory=set)  # cases assigned for thirty days, then closed
    closed: set[str] = field(default_factory=set)
    retries: int = 0
    gave_up: list[str] = field(default_factory=list)  # requests that never got an answer
    refused: list[str] = field(default_factory=list)  # answers a client would not expect

    def longest_gap(self, start: float, end: float) -> float:
        """The longest time without a 202 between two moments: what submitters saw of a fault."""
        return longest_gap(self.accepted_at, start, end)


def longest_gap(moments: list[float], start: float, end: float) -> float:
    """The longest time between two moments without one of `moments` (times of something happening)."""
    times = [start, *sorted(t for t in moments if start <= t <= end), end]
    return max(b - a for a, b in zip(times, times[1:], strict=False))


def took(path: str, case: dict[str, Any]) -> bool:
    """Whether the case, as read, shows the effect of the load's command `path` (an attempt whose answer was lost)."""
    if path == "assign":
        return (case.get("assignment") or {}).get("unit") == samples.UNIT
    if path == "request-closure":
        return case.get("closure_request") is not None
    if path == "verify":
        return case.get("verification") is not None
    raise ValueError(f"the load sends no command {path!r}")


class GaveUp(Exception):
    pass


class SteadyLoad:
    def __init__(self, urls: dict[str, list[str]], batch: str, rate: float, tokens: Tokens) -> None:
        """`urls`: each service's instances, which its requests go to in turn (a retry goes to the next one)."""
        self._turns = {service: itertools.cycle(each) for service, each in urls.items()}
        self.tokens = tokens
        self.batch = batch
        self.rate = rate
        self.ledger = Ledger()
        self._running = asyncio.Event()
        self._stopping = False
        self._workflows: set[asyncio.Task[None]] = set()
        self._client = httpx.AsyncClient(timeout=httpx.Timeout(10.0), limits=httpx.Limits(max_connections=CONNECTIONS))
        # requests in flight, at most the pool's connections: a backlog (workflows retrying through an outage) waits
        # here, not in httpcore's pool, which re-matches every queued request against every connection on each change
        # and spun the drill's event loop with hundreds queued (drill/README.md, the third run with ten instances)
        self._in_flight = asyncio.Semaphore(CONNECTIONS)
        self._generator: asyncio.Task[None] | None = None
        self._next = 0

    async def start(self) -> None:
        self._running.set()
        self._generator = asyncio.create_task(self._generate())

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    async def drain(self, timeout: float) -> int:
        """Waits for the work in hand; returns how many workflows were still running at the timeout."""
        pending = set(self._workflows)
        if pending:
            _, pending = await asyncio.wait(pending, timeout=timeout)
        return len(pending)

    async def close(self) -> None:
        self._stopping = True
        self._running.set()
        if self._generator:
            self._generator.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._generator
        for task in self._workflows:
            task.cancel()
        await asyncio.gather(*self._workflows, return_exceptions=True)
        await self._client.aclose()

    async def _generate(self) -> None:
        interval = 1 / self.rate
        due = time.monotonic()
        while not self._stopping:
            if not self._running.is_set():
                await self._running.wait()
                due = time.monotonic()
            due += interval
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            if not self._running.is_set():
                continue
            task = asyncio.create_task(self._workflow(self._next))
            self._next += 1
            self._workflows.add(task)
            task.add_done_callback(self._workflows.discard)

    # ----------------------------------------------------------- a client
    def url(self, service: str) -> str:
        """The service's next instance, round robin."""
        return next(self._turns[service])

    async def _retrying(self, what: str, attempt: Callable[[], Any]) -> httpx.Response:
        """Sends until an answer that is not a transient failure (no connection, 5xx, 503)."""
        give_up_at = time.monotonic() + RETRY_FOR
        delay = 0.2
        while True:
            try:
                async with self._in_flight:
                    response: httpx.Response = await attempt()
                if response.status_code < 500:
                    url = response.request.url
                    self.ledger.answered.append((time.monotonic(), f"{url.scheme}://{url.host}:{url.port}"))
                    return response
            except httpx.TransportError:
                pass
            if time.monotonic() > give_up_at:
                self.ledger.gave_up.append(what)
                raise GaveUp(what)
            self.ledger.retries += 1
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)

    async def _workflow(self, n: int) -> None:
        with contextlib.suppress(GaveUp):
            body = samples.report(self.batch, n)
            answer = await self._retrying(
                f"report {body['external_ref']}",
                lambda: self._client.post(f"{self.url('intake')}/v1/reports", json=body, auth=self.tokens.operator),
            )
            if answer.status_code != 202:
                self.ledger.refused.append(f"report {body['external_ref']}: {answer.status_code} {answer.text[:200]}")
                return
            issue_id = answer.json()["issue_id"]
            self.ledger.accepted[body["external_ref"]] = issue_id
            self.ledger.accepted_at.append(time.monotonic())
            await self._case_opened(issue_id)
            if n % 2 == 0:
                if await self._command(issue_id, "assign", lambda k: samples.assignment(LATE_DEADLINE * k), 1):
                    self.ledger.late.add(issue_id)
            elif await self._command(issue_id, "assign", lambda k: samples.assignment(LONG_DEADLINE), 1):
                self.ledger.on_time.add(issue_id)
                if (
                    await self._evidence(issue_id)
                    and await self._command(issue_id, "request-closure", lambda k: samples.CLOSURE_REQUEST, 2)
                    and await self._command(issue_id, "verify", lambda k: samples.VERIFICATION, 3)
                ):
                    self.ledger.closed.add(issue_id)

    async def _evidence(self, case_id: str) -> bool:
        """The unit uploads the file its closure request names (the same bytes again are the same file)."""
        response = await self._retrying(
            f"evidence {case_id}",
            lambda: self._client.post(
                f"{self.url('cases')}/v1/cases/{case_id}/evidence",
                files=samples.EVIDENCE_FILE,
                auth=self.tokens.for_command("evidence"),
            ),
        )
        if response.status_code in (200, 201):
            return True
        case = await self._case(case_id)
        self.ledger.refused.append(
            f"evidence {case_id}: {response.status_code} {response.text[:200]}; the case then: "
            f"{case.status_code} {case.text[:300]}"
        )
        return False

    async def _case(self, case_id: str) -> httpx.Response:
        """The case as the county-wide reader sees it."""
        return await self._retrying(
            f"case {case_id}",
            lambda: self._client.get(f"{self.url('cases')}/v1/cases/{case_id}", auth=self.tokens.reader),
        )

    async def _case_opened(self, case_id: str) -> None:
        give_up_at = time.monotonic() + RETRY_FOR
        while True:
            response = await self._case(case_id)
            if response.status_code == 200:
                return
            if time.monotonic() > give_up_at:
                self.ledger.gave_up.append(f"case {case_id} never opened")
                raise GaveUp(case_id)
            await asyncio.sleep(0.2)

    async def _command(self, case_id: str, path: str, body: Callable[[float], dict[str, Any]], version: int) -> bool:
        """True once the command is known to have gone through."""
        path_of = f"/v1/cases/{case_id}/{path}"
        headers = {"If-Match": str(version)}
        auth = self.tokens.for_command(path)
        # The body is made at each attempt, so a retried assignment's deadline is ahead of now again; a
        # deadline that passed while the request waited on a busy server is refused (422): as a person
        # would, send it again with a later one.
        for attempt in range(6):

            def send(scale: float = 2.0**attempt) -> Awaitable[httpx.Response]:
                return self._client.post(f"{self.url('cases')}{path_of}", json=body(scale), headers=headers, auth=auth)

            response = await self._retrying(f"{path} {case_id}", send)
            if not (response.status_code == 422 and '"deadline"' in response.text):
                break
            self.ledger.retries += 1
        if response.status_code == 200:
            return True
        error = (
            response.json().get("error", {})
            if response.headers.get("content-type", "").startswith("application/json")
            else {}
        )
        if (
            response.status_code == 409
            and error.get("code") == "version_conflict"
            and error.get("current_version", 0) > version
        ):
            # An earlier attempt whose answer was lost may have gone through, or something else moved the case:
            # only the case itself tells which.
            case = await self._case(case_id)
            if case.status_code == 200 and took(path, case.json()):
                return True
            self.ledger.refused.append(
                f"{path} {case_id}: 409 at version {version}, and the case does not show it: "
                f"{case.status_code} {case.text[:300]}"
            )
            return False
        self.ledger.refused.append(f"{path} {case_id}: {response.status_code} {response.text[:200]}")
        return False
