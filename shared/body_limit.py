"""The request body limit (请求体大小限制) of every service, applied before anything reads the body.

`build_app` puts `BodyLimit` outside the routes, so a body above its path's limit is refused
with 413 before authentication, validation or a handler sees it. The declared Content-Length
is checked first (the body is not read at all); a body without one (chunked) is counted as it
arrives and refused at the first chunk over the limit, so at most the limit is ever read.
"""

import html
import json
import re
from collections.abc import Mapping

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MIB = 1024 * 1024


class PayloadTooLarge(HTTPException):
    """413, with a zh-CN message; rendered as {"error": {...}} by the shared error mapping."""

    def __init__(self, message: str) -> None:
        super().__init__(status_code=413, detail={"code": "payload_too_large", "message": message})
        self.message = message


def too_large_message(limit: int) -> str:
    return f"提交的内容超过 {limit / MIB:g} MB 的上限，请减少或压缩照片、文件后再提交"


def _template(path: str) -> re.Pattern[str]:
    """A route's path with `{name}` parameters as a pattern: each parameter is one path segment."""
    return re.compile("".join("[^/]+" if part.startswith("{") else re.escape(part) for part in _PARTS.split(path)))


_PARTS = re.compile(r"(\{[^/{}]+\})")


class BodyLimit:
    """ASGI middleware: `default` bytes for every path, unless `paths` names a larger (or smaller) one for it.

    A path in `paths` is exact (`/report`) or a route's template (`/v1/cases/{case_id}/evidence`).
    """

    def __init__(self, app: ASGIApp, *, default: int, paths: Mapping[str, int] | None = None) -> None:
        self.app = app
        self.default = default
        self.paths = {path: limit for path, limit in (paths or {}).items() if "{" not in path}
        self.templates = [(_template(path), limit) for path, limit in (paths or {}).items() if "{" in path]

    def limit_for(self, path: str) -> int:
        if path in self.paths:
            return self.paths[path]
        return next((limit for pattern, limit in self.templates if pattern.fullmatch(path)), self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length", b"").decode("latin-1").strip()
        if declared.isdigit() and int(declared) > limit:
            wants_html = b"text/html" in headers.get(b"accept", b"")
            await _refuse(send, too_large_message(limit), wants_html=wants_html, back_to=scope["path"])
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise PayloadTooLarge(too_large_message(limit))
            return message

        await self.app(scope, counted, send)


async def _refuse(send: Send, message: str, *, wants_html: bool, back_to: str) -> None:
    if wants_html:
        # A person at a form: the message, and the way back to the form (its GET shows it again).
        body = (
            '<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>提交内容过大</title>'
            f'<p>{html.escape(message)}</p><p><a href="{html.escape(back_to)}">返回重新填写</a></p></html>'
        ).encode()
        content_type = b"text/html; charset=utf-8"
    else:
        body = json.dumps({"error": {"code": "payload_too_large", "message": message}}, ensure_ascii=False).encode()
        content_type = b"application/json"
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            # The rest of the body is not read: the client must not reuse this connection for another request.
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
