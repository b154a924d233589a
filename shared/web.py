"""What every service's HTTP side shares: health and readiness, correlation ids, error mapping, /metrics access."""

import asyncio
import contextlib
import hmac
import re
from collections.abc import Awaitable, Callable, Collection
from typing import Any
from urllib.parse import parse_qsl

import structlog
from aiokafka.admin import AIOKafkaAdminClient
from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.broker import Broker
from shared.consumer import OK, ConsumerRunner
from shared.contracts.base import has_control_characters
from shared.errors import Forbidden, InvalidCommand, NotFound, RuleViolation
from shared.eventstore import ConcurrencyConflict
from shared.field_messages import chinese
from shared.settings import DEVELOPMENT, ServiceSettings

log = structlog.get_logger()

CORRELATION_HEADER = "X-Correlation-ID"


def multipart_body(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    """The OpenAPI of a route that reads its multipart form itself (bounded), for its `openapi_extra`."""
    schema = {"type": "object", "required": required, "properties": properties}
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema}}}}


def _error(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": {"code": code, "message": message, **extra}})


async def _rule_violation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RuleViolation)
    return _error(409, exc.code, exc.message)


async def _conflict(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ConcurrencyConflict)
    return _error(
        409,
        "version_conflict",
        f"数据已被他人修改（当前版本 {exc.actual}，请求基于版本 {exc.expected}），请刷新后重试",
        current_version=exc.actual,
    )


async def _invalid_command(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InvalidCommand)
    return _error(422, "invalid_field", exc.message, fields=[{"field": exc.field, "message": exc.message}])


async def _forbidden(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Forbidden)
    return _error(403, "forbidden", exc.message)


async def _not_found(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, NotFound)
    return _error(404, "not_found", f"未找到{exc.what}：{exc.ident}")


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, dict) else {"code": "http_error", "message": str(exc.detail)}
    return JSONResponse(status_code=exc.status_code, content={"error": detail}, headers=exc.headers)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    fields = [
        {"field": ".".join(str(p) for p in err["loc"] if p != "body"), "message": chinese(err), "type": err["type"]}
        for err in exc.errors()
    ]
    names = "、".join(f["field"] or "请求体" for f in fields)
    return _error(422, "invalid_request", f"请求内容有误，请检查字段：{names}", fields=fields)


# Readiness codes: one per check, stable, no error text (the details go to the log); OK and a consumer's
# STALLED are the consumer runner's own.
STARTING = "starting"
UNAVAILABLE = "unavailable"
STOPPED = "stopped"
CHAIN_BREAK = "chain_break"  # an alert (Readiness.alerts), not a failed check


class Readiness:
    """Whether the service can do its work now: the database and the broker answer, and its background work runs.

    Each check gets a code: `database` and `kafka` are `ok`, `starting` or `unavailable`; each background task
    (`relay`, `consumer:<name>`, `job:<name>`) is `ok` or `stopped`, and a consumer held at an event its
    handler keeps failing on is `stalled` (shared/consumer.py). Why a check failed goes to the log only: the
    answer is public, and error texts name hosts, users and data.
    """

    def __init__(self, broker: Broker) -> None:
        self._broker = broker
        self._admin: AIOKafkaAdminClient | None = None
        self.pool: Any = None
        self.tasks: list[asyncio.Task[None]] = []
        self.consumers: Collection[ConsumerRunner] = ()

    def alerts(self) -> dict[str, str]:
        """What an operator must look at though the service works: a consumer that met a record breaking its
        stream's hash chain (`chain_break`: the record is in the DLQ, shared/audit/continuity.py). An alert leaves
        the service ready (taking it out of the balancer repairs nothing) and lasts until the process restarts."""
        return {consumer_check(runner.name): CHAIN_BREAK for runner in list(self.consumers) if runner.chain_breaks}

    async def check(self) -> dict[str, str]:
        checks = {"database": await self._database(), "kafka": await self._kafka(), **self._background()}
        failing = {name: code for name, code in checks.items() if code != OK}
        if failing:
            log.warning("not_ready", checks=failing)
        return checks

    def _background(self) -> dict[str, str]:
        """The relay, consumers and jobs run for the service's whole life: one that ended means events are stuck."""
        checks: dict[str, str] = {}
        for task in self.tasks:
            if task.done():
                checks[task.get_name()] = STOPPED
                error = None if task.cancelled() else task.exception()
                log.error("background_task_ended", task=task.get_name(), error=repr(error))
            else:
                checks[task.get_name()] = OK
        for runner in list(self.consumers):
            name = consumer_check(runner.name)
            if checks.get(name, OK) == OK:
                checks[name] = runner.health
        return checks

    async def _database(self) -> str:
        if self.pool is None:
            return STARTING
        try:
            async with asyncio.timeout(2):
                await self.pool.fetchval("select 1")
            return OK
        except Exception as exc:
            log.warning("database_unavailable", error=repr(exc))
            return UNAVAILABLE

    async def _kafka(self) -> str:
        try:
            async with asyncio.timeout(3):
                if self._admin is None:
                    self._admin = AIOKafkaAdminClient(**self._broker.client_options(), request_timeout_ms=2000)
                    await self._admin.start()
                await self._admin.describe_cluster()
            return OK
        except Exception as exc:
            log.warning("kafka_unavailable", error=repr(exc))
            await self.close()
            return UNAVAILABLE

    async def close(self) -> None:
        admin, self._admin = self._admin, None
        if admin is not None:
            with contextlib.suppress(Exception):
                await admin.close()


def consumer_check(name: str) -> str:
    """The readiness check (and background task) of a consumer."""
    return f"consumer:{name}"


def health_router(readiness: Readiness) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        checks = await readiness.check()
        ready = all(v == OK for v in checks.values())
        alerts = readiness.alerts()
        content = {"ready": ready, "checks": checks, "degraded": bool(alerts), "alerts": alerts}
        return JSONResponse(status_code=200 if ready else 503, content=content)

    return router


def metrics_router(settings: ServiceSettings) -> APIRouter:
    """/metrics in Prometheus' text format, for those `metrics_access` admits."""
    router = APIRouter()

    @router.get("/metrics", include_in_schema=False, dependencies=[Depends(metrics_access(settings))])
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


def metrics_access(settings: ServiceSettings) -> Callable[[Request], Awaitable[None]]:
    """Who may read /metrics: with METRICS_TOKEN set, a request bearing it; without, anyone only in development.

    Prometheus sends it with `authorization: {type: Bearer, credentials_file: …}` in its scrape config.
    """
    token = settings.metrics_token

    async def check(request: Request) -> None:
        if token is None:
            if settings.environment == DEVELOPMENT:
                return
            raise HTTPException(
                status_code=401,
                detail={
                    "code": "metrics_token_required",
                    "message": "运行指标仅在设置 METRICS_TOKEN 后、凭该令牌读取（开发环境除外）",
                },
            )
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
            raise HTTPException(
                status_code=401,
                detail={"code": "metrics_token_required", "message": "读取运行指标需要有效的 METRICS_TOKEN 令牌"},
                headers={"WWW-Authenticate": "Bearer"},
            )

    return check


class RefuseControlCharactersInUrl:
    """A control character (a NUL above all) in the path or in a query parameter is refused with 422 before any
    route runs: no case id, unit or filter contains one, and PostgreSQL cannot even hold a NUL. The answer names the
    parameter (`path.<name>` by the app's published path templates, `query.<name>`). Bodies are checked field by
    field by their models (shared.contracts.base.Readable)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._templates: list[re.Pattern[str]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            fields = self._fields_with_control_characters(scope)
            if fields:
                names = "、".join(fields)
                details = [{"field": f, "message": "不能包含控制字符", "type": "control_character"} for f in fields]
                response = _error(422, "invalid_request", f"请求内容有误，请检查字段：{names}", fields=details)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _fields_with_control_characters(self, scope: Scope) -> list[str]:
        found = self._path_parameters(scope) if has_control_characters(scope["path"]) else []
        query = scope.get("query_string", b"").decode("latin-1")
        pairs = parse_qsl(query, keep_blank_values=True, encoding="utf-8", errors="replace")
        found += [f"query.{name}" for name, value in pairs if has_control_characters(name + value)]
        return list(dict.fromkeys(found))

    def _path_parameters(self, scope: Scope) -> list[str]:
        if self._templates is None:
            self._templates = [_template_pattern(path) for path in scope["app"].openapi().get("paths", {})]
        for pattern in self._templates:
            matched = pattern.fullmatch(scope["path"])
            if matched:
                named = [f"path.{name}" for name, value in matched.groupdict().items() if has_control_characters(value)]
                return named or ["path"]
        return ["path"]


def _template_pattern(template: str) -> re.Pattern[str]:
    """A published path (`/v1/cases/{case_id}`) as a pattern with one named group per parameter."""
    parts = re.split(r"\{(\w+)\}", template)
    return re.compile("".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>[^/]*)" for i, part in enumerate(parts)))


def install(app: FastAPI, readiness: Readiness) -> None:
    """Adds health routes, correlation ids, the URL check and the error mapping to a service's app."""
    app.add_middleware(RefuseControlCharactersInUrl)
    app.add_middleware(CorrelationIdMiddleware, header_name=CORRELATION_HEADER, update_request_header=True)
    app.add_exception_handler(RuleViolation, _rule_violation)
    app.add_exception_handler(ConcurrencyConflict, _conflict)
    app.add_exception_handler(InvalidCommand, _invalid_command)
    app.add_exception_handler(NotFound, _not_found)
    app.add_exception_handler(Forbidden, _forbidden)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.include_router(health_router(readiness))
