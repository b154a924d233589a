"""Who is asking and on which version: the request's headers as typed dependencies.

The actor comes from `X-Actor` until access control exists; this is the one place to
swap for the identity in a JWT.
"""

from typing import Annotated
from urllib.parse import unquote

from fastapi import Depends, Header

from shared.errors import InvalidCommand

ANONYMOUS = "anonymous"


def current_actor(x_actor: Annotated[str | None, Header(max_length=200)] = None) -> str:
    """The person acting; percent-encoding lets a Chinese name pass through an HTTP header."""
    if x_actor is None or not x_actor.strip():
        return ANONYMOUS
    return unquote(x_actor.strip())[:100]


def expected_version(if_match: Annotated[str | None, Header()] = None) -> int | None:
    """`If-Match: 3` (or the ETag form `"3"`): the version the client decided on; a stale one is a 409."""
    if if_match is None:
        return None
    tag = if_match.strip().removeprefix("W/").strip('"')
    if not tag.isdigit():
        raise InvalidCommand("If-Match", "If-Match 须为案件的版本号，例如 If-Match: 3")
    return int(tag)


ActorDep = Annotated[str, Depends(current_actor)]
ExpectedVersionDep = Annotated[int | None, Depends(expected_version)]
