"""The audit log's routes (审计), the same on every service with an event store.

The public keys are public (no token): whoever holds a checkpoint must be able to check it. Checkpoints and proofs are
read by 县领导 (reads everything) and 纪委监委 (who holds officials to account, and so needs records no one can quietly
rewrite); 纪委监委 alone asks for a checkpoint on demand, e.g. before a hearing, to pin the record as it stands.
"""

import contextlib
from collections.abc import AsyncIterator
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from fastapi import APIRouter, HTTPException, Query, Request, Response, status

from shared.audit.log import AuditLog, NoCheckpoint, NoSigningKey
from shared.auth import Role, require
from shared.db import Connection

READERS = (Role.LEADER, Role.DISCIPLINE)
MAX_LIST = 100

router = APIRouter(prefix="/v1/audit", tags=["audit"])
readers = [require(*READERS)]


def _audit(request: Request) -> tuple[AuditLog, asyncpg.Pool]:
    platform = request.state.platform
    return platform.audit, platform.pool


@contextlib.asynccontextmanager
async def _proving(pool: asyncpg.Pool) -> AsyncIterator[Connection]:
    """A connection for building a proof; a checkpoint or event the proof needs and lacks is a 404."""
    try:
        async with pool.acquire() as conn:
            yield conn
    except NoCheckpoint as exc:
        raise HTTPException(404, {"code": "no_checkpoint", "message": f"没有可用的审计检查点：{exc}"}) from None


@router.get("/keys")
async def keys(request: Request) -> dict[str, Any]:
    """The service's checkpoint keys (Ed25519, raw 32 bytes in base64), the current one first."""
    audit, _ = _audit(request)
    return {"service": audit.service, "keys": audit.published_keys()}


@router.get("/checkpoints", dependencies=readers)
async def checkpoints(request: Request, limit: Annotated[int, Query(ge=1, le=MAX_LIST)] = 20) -> dict[str, Any]:
    """The latest signed checkpoints, newest first."""
    audit, pool = _audit(request)
    async with pool.acquire() as conn:
        return {"checkpoints": [c.to_json() for c in await audit.checkpoints(conn, limit)]}


@router.post("/checkpoints", dependencies=[require(Role.DISCIPLINE)], status_code=status.HTTP_201_CREATED)
async def checkpoint_now(request: Request, response: Response) -> dict[str, Any]:
    """Signs the log as it stands now (201), or answers the latest checkpoint when nothing was added since (200)."""
    audit, pool = _audit(request)
    try:
        async with pool.acquire() as conn:
            signed, new = await audit.checkpoint(conn)
    except NoSigningKey:
        raise HTTPException(
            503,
            {"code": "audit_key_missing", "message": "本服务未配置审计签名密钥（AUDIT_SIGNING_KEY），无法签署检查点"},
        ) from None
    if not new:
        response.status_code = status.HTTP_200_OK
    return signed.to_json()


@router.get("/proof/{event_id}", dependencies=readers)
async def proof(
    request: Request, event_id: UUID, size: Annotated[int | None, Query(ge=1, le=2**62)] = None
) -> dict[str, Any]:
    """The event's inclusion proof against the checkpoint of `size` leaves (default: the latest)."""
    audit, pool = _audit(request)
    async with _proving(pool) as conn:
        return (await audit.inclusion(conn, event_id, size)).to_json()


@router.get("/consistency", dependencies=readers)
async def consistency(
    request: Request,
    old: Annotated[int, Query(alias="from", ge=0, le=2**62)],
    new: Annotated[int, Query(alias="to", ge=0, le=2**62)],
) -> dict[str, Any]:
    """That the checkpoint of `from` leaves is a prefix of the checkpoint of `to` leaves."""
    if old > new:
        field = {"field": "query.from", "message": "应不大于 to", "type": "less_than_equal"}
        raise HTTPException(
            422, {"code": "invalid_request", "message": "请求内容有误，请检查字段：query.from", "fields": [field]}
        )
    audit, pool = _audit(request)
    async with _proving(pool) as conn:
        return (await audit.consistency(conn, old, new)).to_json()
