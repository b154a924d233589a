"""Limits on what a client may send: how big a body may be, and how often anyone may submit without a token.

请求体大小限制: bodies above their route's limit are refused with 413 before they are read
whole. The declared Content-Length is checked first; a body without one (chunked) is
counted as it arrives and refused at the first byte over the limit.
"""

import html
import json
import math
import time
from collections.abc import Callable

from fastapi import HTTPException
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.intake.settings import MIB


class PayloadTooLarge(HTTPException):
    """413, with a zh-CN message; rendered as {"error": {...}} by the shared error mapping."""

    def __init__(self, message: str) -> None:
        super().__init__(status_code=413, detail={"code": "payload_too_large", "message": message})
        self.message = message


def _too_large_message(limit: int) -> str:
    return f"提交的内容超过 {limit / MIB:g} MB 的上限，请减少或压缩照片、文件后再提交"


class BodyLimit:
    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length", b"").decode("latin-1")
        wants_html = b"text/html" in headers.get(b"accept", b"")
        if declared.isdigit() and int(declared) > limit:
            await _refuse(send, _too_large_message(limit), wants_html)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise PayloadTooLarge(_too_large_message(limit))
            return message

        await self.app(scope, counted, send)


async def _refuse(send: Send, message: str, wants_html: bool) -> None:
    if wants_html:
        body = (
            '<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>提交内容过大</title>'
            f'<p>{html.escape(message)}</p><p><a href="/report">返回举报页面</a></p></html>'
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


class PublicRateLimit:
    """Anonymous submissions per client address in a moving window (per process: each instance counts its own)."""

    def __init__(self, limit: str) -> None:
        self._item = parse(limit)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def check(self, address: str) -> None:
        if not self._limiter.hit(self._item, address):
            reset_at = self._limiter.get_window_stats(self._item, address).reset_time
            retry_after = max(1, math.ceil(reset_at - time.time()))
            raise HTTPException(
                status_code=429,
                detail={"code": "too_many_requests", "message": f"提交过于频繁，请 {retry_after} 秒后再试"},
                headers={"Retry-After": str(retry_after)},
            )
