"""The one write path over HTTP: every command a person sends to any service goes through here.

- Who asked and why: `request_metadata` copies the caller and the request's correlation id onto
  the events (the incoming `X-Correlation-ID`, else a new UUID; the middleware in shared.web
  has already made one for every request, so the fallback only serves callers outside one).
- Which version the caller decided on: `If-Match: 3` (or `"3"`), read by `ExpectedVersionDep`.
- What a conflict does, `write`: optimistic, the stream's version is the check. A caller who sent
  If-Match decided on that version, so a conflict is their 409 and is never retried. Without
  If-Match the command is decided again on the fresh history, which is safe because decide()
  re-checks every rule against the new state: a retried command can do nothing the rules now
  forbid. The losers of one race wait a short random while before deciding again, so that a
  crowd of writers on one stream does not retry in lockstep. A deadlock (PostgreSQL refusing
  one writer to break a lock cycle) is the same race seen from the locks: decided again when the
  transaction is the command's own; inside a caller's transaction (a consumer's batch, the
  deadline poller's claim) the caller's locks are still held, so the caller retries whole (the
  consumer runner and the poller treat it as transient).
- What the caller learns: `answer_version` puts the stream's new version in an `ETag`, to send
  back as If-Match with the next command.

A command route asks for all of it at once with `command_request(roles…)`: a `CommandRequest`
with the caller, their If-Match version, its metadata and `answer(version)`.
"""

import asyncio
import random
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import asyncpg
from asgi_correlation_id import correlation_id
from fastapi import Depends, Header, Response

from shared.auth import Principal, Role, require
from shared.db import Connection
from shared.errors import InvalidCommand
from shared.eventstore import ConcurrencyConflict, Metadata

T = TypeVar("T")

# How often a command is decided in all when other writers of its stream keep getting there first.
ATTEMPTS = 8
# The most a loser waits before deciding again, times the attempt number.
BACKOFF_SECONDS = 0.01


def request_metadata(actor: str) -> Metadata:
    """The metadata of the events a request causes: its actor and its correlation id."""
    return Metadata(actor=actor, correlation_id=correlation_id.get() or str(uuid.uuid4()))


async def expected_version(if_match: Annotated[str | None, Header()] = None) -> int | None:
    """`If-Match: 3` (or the ETag form `"3"`): the version the client decided on; a stale one is a 409."""
    if if_match is None:
        return None
    tag = if_match.strip().removeprefix("W/").strip('"')
    if not tag.isdigit():
        raise InvalidCommand("If-Match", "If-Match 须为版本号，例如 If-Match: 3")
    return int(tag)


ExpectedVersionDep = Annotated[int | None, Depends(expected_version)]


async def write(
    conn: Connection,
    attempt: Callable[[], Awaitable[T]],
    *,
    expected_version: int | None,
    also_retry: tuple[type[Exception], ...] = (),
) -> T:
    """Runs `attempt` in a transaction on `conn` (a savepoint inside the caller's), by the policy above.

    `also_retry` names further errors that mean "another writer got there first" for this command,
    such as a unique reference taken by another instance.
    """
    retryable: tuple[type[Exception], ...] = (ConcurrencyConflict, *also_retry)
    own_transaction = not conn.is_in_transaction()
    for n in range(1, ATTEMPTS + 1):
        try:
            async with conn.transaction():
                return await attempt()
        except asyncpg.DeadlockDetectedError:
            if not own_transaction or n == ATTEMPTS:
                raise
        except retryable:
            if expected_version is not None or n == ATTEMPTS:
                raise
        await asyncio.sleep(random.uniform(0, BACKOFF_SECONDS * n))
    raise AssertionError("unreachable: the last attempt returns or raises")


def answer_version(response: Response, version: int) -> None:
    """The stream's version after the command, as the ETag a client sends back in If-Match."""
    response.headers["ETag"] = f'"{version}"'


@dataclass(frozen=True)
class CommandRequest:
    """What a command route has beside its body and its service: who asks, on which version, where the ETag goes."""

    principal: Principal
    expected_version: int | None
    response: Response

    @property
    def meta(self) -> Metadata:
        return request_metadata(self.principal.actor)

    def answer(self, version: int) -> None:
        answer_version(self.response, version)


def command_request(*roles: Role) -> Any:
    """The dependency of a command route: admits only `roles` (401/403 otherwise) and reads If-Match.

    Use: `OfficeCommand = Annotated[CommandRequest, command_request(Role.INSPECTION_OFFICE)]`.
    """

    async def build(
        principal: Annotated[Principal, require(*roles)], expected: ExpectedVersionDep, response: Response
    ) -> CommandRequest:
        return CommandRequest(principal=principal, expected_version=expected, response=response)

    return Depends(build)
