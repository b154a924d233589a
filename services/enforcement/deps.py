"""Who is asking, and on which version, as typed dependencies.

Until access control exists the actor is the optional `X-Actor` header; this is the one
place to swap for the identity in a token.
"""

from typing import Annotated
from urllib.parse import unquote

from fastapi import Depends, Header

from shared.errors import InvalidCommand

ANONYMOUS = "anonymous"


def current_actor(x_actor: Annotated[str | None, Header(max_length=200)] = None) -> str:
    """Percent-encoding lets a Chinese name through an HTTP header (`X-Actor: %E5%BC%A0%E4%B8%89`)."""
    name = unquote(x_actor or "").strip()
    return name[:100] or ANONYMOUS


def expected_version(if_match: Annotated[str | None, Header()] = None) -> int | None:
    """`If-Match: 3` or `"3"`: the version the client decided on; another is answered 409 instead of retried."""
    if if_match is None:
        return None
    tag = if_match.strip().removeprefix("W/").strip('"')
    if not tag.isdigit():
        raise InvalidCommand("If-Match", "If-Match 须为案件的版本号，例如 If-Match: 3")
    return int(tag)


ActorDep = Annotated[str, Depends(current_actor)]
ExpectedVersionDep = Annotated[int | None, Depends(expected_version)]
