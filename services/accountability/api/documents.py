"""What the routes of the documents of the supervision (督查) share: who may issue and read them, and the run.

The 督察办 (inspection_office) records every one of them; the county-wide roles read them (a responsible unit
reads none here: a bulletin or a meeting names other units and their cases).
"""

from typing import Annotated

from services.accountability import handlers, schemas
from services.accountability.deps import Deps
from shared.auth import Role
from shared.commands import CommandRequest, command_request
from shared.errors import NotFound

OfficeCommand = Annotated[CommandRequest, command_request(Role.INSPECTION_OFFICE)]


async def run(deps: Deps, command: handlers.DocumentCommand, request: CommandRequest) -> schemas.DocumentOut:
    """Durable before it answers; the stream's new version in the ETag."""
    stream, _, _ = handlers.document_stream(command)
    async with deps.pool.acquire() as conn:
        decided = await handlers.document(
            conn, deps.store, command, request.meta, expected_version=request.expected_version
        )
    request.answer(decided.version)
    return schemas.document_out(stream, decided.events, decided.version)


async def read(deps: Deps, command_stream: str, what: str, ident: str) -> schemas.DocumentOut:
    """A document's whole stream; 404 when it has none."""
    async with deps.pool.acquire() as conn:
        history = await deps.store.read(conn, command_stream)
    if not history:
        raise NotFound(what, ident)
    return schemas.document_out(command_stream, history)
