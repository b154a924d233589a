"""The report route's fast path (issue 14): `POST /v1/reports` by the staff who enter reports, without FastAPI's
request machinery.

Plain ASGI, just inside the request metrics (`shared.service.build_app`'s `inner`). A report that is sent whole with
a declared length within the JSON limit, as `application/json`, by a valid token of `access.ENTRY_ROLES`, and that
`ReportIn` accepts as FastAPI would (the body parsed by `json.loads`, validated from Python, `from_attributes`), is
handed to the group commit here and answered with the same bytes and headers as the route in reports.py (202, the
receipt, its ETag, the correlation id). Every other request, and every such request that is not one of those, goes
to the whole stack unchanged, with the body already read given to it again: its 401/403/413/422/429/503 come from the
code that has always made them, so no refusal differs. Only what the group commit raises once it has the report
(409, a 422 of a later rule, a database error) is answered here, by the app's own exception handlers. The route in
reports.py stays the one the OpenAPI document describes and the one every request falls back to.
"""

import json
import uuid
from collections.abc import Awaitable, Callable
from typing import cast

from asgi_correlation_id import correlation_id
from asgi_correlation_id.middleware import FAILED_VALIDATION_MESSAGE, is_valid_uuid4
from asgi_correlation_id.middleware import logger as correlation_log
from fastapi import HTTPException
from fastapi.routing import APIRoute
from pydantic import ValidationError
from starlette._exception_handler import _lookup_exception_handler
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.intake import access
from services.intake.api import reports
from services.intake.api.reports import PATH, submission_of, the_receipt
from services.intake.deps import Deps
from services.intake.handlers import Submission
from services.intake.schemas import ReportIn
from shared.auth import verify_token
from shared.errors import Forbidden, InvalidCommand
from shared.web import CORRELATION_HEADER

CORRELATION = CORRELATION_HEADER.lower().encode("latin-1")


class ReportFastPath:
    """ASGI middleware: official reports on the fast path, everything else through `app`."""

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        # The body limit of the path (shared/body_limit.py): a longer declared body goes the whole way, to its 413.
        self.limit = limit
        self._route: APIRoute | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "POST" or scope["query_string"]:
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        token = _bearer(headers.get(b"authorization", b""))
        declared = headers.get(b"content-length", b"")
        if token is None or not declared.isdigit() or int(declared) > self.limit or not _json(headers):
            await self.app(scope, receive, send)
            return
        read = await _read(receive)
        body = b"".join(m.get("body", b"") for m in read) if read[-1]["type"] == "http.request" else None
        submitter = await self._official(scope, token, body)
        if submitter is None or body is None:
            await self.app(scope, _replaying(read, receive), send)
            return
        try:
            submission = submission_of(ReportIn.model_validate(json.loads(body), from_attributes=True), submitter)
        except (ValueError, ValidationError, InvalidCommand):  # the route says what was wrong, as it always has
            await self.app(scope, _replaying(read, receive), send)
            return
        await self._accept(scope, receive, send, submission, submitter, headers.get(CORRELATION))

    async def _official(self, scope: Scope, token: str, body: bytes | None) -> access.Submitter | None:
        """The sender, when a token of the staff who enter reports; None for any other (the route decides them)."""
        if body is None:
            return None
        state = scope["state"]
        try:
            principal = await verify_token(state["settings"], state["keys"], token)
        except (HTTPException, Forbidden):
            return None
        if principal.role not in access.ENTRY_ROLES:
            return None
        return access.Submitter(actor=principal.actor, official=True)

    async def _accept(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        submission: Submission,
        submitter: access.Submitter,
        given_id: bytes | None,
    ) -> None:
        cid = _correlation_id(given_id)
        correlation_id.set(cid)
        scope["route"] = self._report_route()  # the request metrics' label, as the router would set it
        deps: Deps = scope["state"]["deps"]
        try:
            receipt = await deps.reports.handle(submission, submitter.actor)
        except Exception as exc:
            handler = _lookup_exception_handler(scope["app"].exception_handlers, exc)
            if handler is None:
                raise
            # The app's handlers (shared.web.install) are coroutines of a request that give a JSON answer.
            answer = await cast(Callable[[Request, Exception], Awaitable[Response]], handler)(
                Request(scope, receive), exc
            )
            await answer(scope, receive, _with_correlation_id(send, cid))
            return
        body, version = the_receipt(receipt)
        start: Message = {
            "type": "http.response.start",
            "status": 202,
            "headers": [
                (b"content-length", str(len(body)).encode("latin-1")),
                (b"content-type", b"application/json"),
                (b"etag", f'"{version}"'.encode("latin-1")),
                (CORRELATION, cid.encode("latin-1")),
            ],
        }
        await send(start)
        await send({"type": "http.response.body", "body": body})

    def _report_route(self) -> APIRoute | None:
        # From the route's own router: the app's route list holds FastAPI's wrappers of the included routers
        # (`_IncludedRouter` since FastAPI 0.16x), not the routes themselves.
        if self._route is None:
            for route in reports.router.routes:
                if isinstance(route, APIRoute) and route.path == PATH and "POST" in (route.methods or ()):
                    self._route = route
        return self._route


def _headers(scope: Scope) -> dict[bytes, bytes]:
    """The headers the fast path reads; a repeated one goes the whole way (the last would not be what Starlette
    reads)."""
    wanted = (b"authorization", b"content-length", b"content-type", CORRELATION)
    found: dict[bytes, bytes] = {}
    for name, value in scope["headers"]:
        if name in wanted:
            if name in found:
                return {}
            found[name] = value
    return found


def _bearer(value: bytes) -> str | None:
    """The token as `shared.auth.sender_of` reads it; None when there is none (a public submission)."""
    scheme, _, credentials = value.decode("latin-1").partition(" ")
    credentials = credentials.strip()
    return credentials if credentials and scheme.lower() == "bearer" else None


def _json(headers: dict[bytes, bytes]) -> bool:
    """`application/json`, with parameters or not: what FastAPI parses as JSON (and no `+json` or missing type)."""
    media_type = headers.get(b"content-type", b"").split(b";", 1)[0].strip().lower()
    return media_type == b"application/json"


async def _read(receive: Receive) -> list[Message]:
    """Every message of the body, up to the last or a disconnect (the declared length is within the limit, and
    the server gives no more than it declared)."""
    read = [await receive()]
    while read[-1]["type"] == "http.request" and read[-1].get("more_body", False):
        read.append(await receive())
    return read


def _replaying(read: list[Message], receive: Receive) -> Receive:
    """`receive` as the whole stack sees it: the messages already read, then the server's."""
    pending = list(read)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay


def _correlation_id(given: bytes | None) -> str:
    """As shared.web's CorrelationIdMiddleware chooses it: the client's when valid, else a new one (logged)."""
    value = given.decode("latin-1") if given else ""
    if value and is_valid_uuid4(value):
        return value
    generated = uuid.uuid4().hex
    if value:
        correlation_log.warning(FAILED_VALIDATION_MESSAGE, generated)
    return generated


def _with_correlation_id(send: Send, cid: str) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []), (CORRELATION, cid.encode("latin-1"))]
        await send(message)

    return sending
