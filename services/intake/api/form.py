"""网上举报: the public report form, in zh-CN, served by intake.

GET /report shows the form; POST /report takes it (multipart, with photos) and answers
with a receipt page, or, for a client that asks for JSON, the same receipt as JSON.
Everything shown back is escaped by the templates (autoescape); pages forbid inline
scripts (Content-Security-Policy) as a second guard.
"""

import asyncio
import functools
import math
from pathlib import Path
from typing import Annotated, Any

import jinja2
from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from services.intake import access, commands
from services.intake.attachments import inspect_photos
from services.intake.deps import DepsDep
from services.intake.duplicates import Outcome
from services.intake.handlers import Submission
from services.intake.privacy import ReporterContact, contact_from
from services.intake.schemas import ReportAccepted
from services.intake.settings import IntakeSettings
from shared.body_limit import MIB, PayloadTooLarge
from shared.commands import answer_version
from shared.contracts.base import has_control_characters
from shared.contracts.codes import DOMAIN_LABELS, Domain
from shared.contracts.intake import Channel, Location
from shared.errors import InvalidCommand
from shared.photos import ACCEPTED_LABEL, PhotoRefused
from shared.web import multipart_body

router = APIRouter(tags=["public report form"])

TEMPLATES = Path(__file__).parent.parent / "templates"
TEXT_FIELDS = ("title", "description", "township", "domain", "address", "lat", "lon", "name", "phone")
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

FORM_SCHEMA = multipart_body(
    {
        "title": {"type": "string", "maxLength": 200, "description": "标题"},
        "description": {"type": "string", "maxLength": 5000, "description": "问题描述"},
        "township": {"type": "string", "maxLength": 100, "description": "所在乡镇"},
        "domain": {"type": "string", "enum": [d.value for d in Domain], "description": "问题领域"},
        "address": {"type": "string", "maxLength": 500, "description": "地址 (or lat and lon)"},
        "lat": {"type": "string", "description": "纬度"},
        "lon": {"type": "string", "description": "经度"},
        "name": {"type": "string", "maxLength": 50, "description": "姓名（选填，加密保存）"},
        "phone": {"type": "string", "maxLength": 30, "description": "联系电话（选填，加密保存）"},
        "photos": {"type": "array", "items": {"type": "string", "format": "binary"}},
    },
    required=["title", "description", "township", "domain"],
)


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)


def render(template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    page = _environment().get_template(template).render(domains=DOMAIN_LABELS, **context)
    return HTMLResponse(page, status_code=status_code, headers=PAGE_HEADERS)


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def _limits(settings: IntakeSettings) -> dict[str, Any]:
    return {
        "max_photos": settings.max_photos,
        "max_photo_mb": f"{settings.max_photo_bytes / MIB:g}",
        "photo_types": ACCEPTED_LABEL,
    }


@router.get("/report", response_class=HTMLResponse)
async def report_form(deps: DepsDep) -> HTMLResponse:
    """The empty form (举报表单)."""
    return render("report_form.html", values={}, errors={}, **_limits(deps.settings))


class FormErrors(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(errors))
        self.errors = errors


def _number(text: str, field: str, label: str, low: float, high: float, errors: dict[str, str]) -> float | None:
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        errors[field] = f"{label}应为数字"
        return None
    if not math.isfinite(value) or not low <= value <= high:
        errors[field] = f"{label}应在 {low:g} 至 {high:g} 之间"
        return None
    return value


def check_form(values: dict[str, str]) -> tuple[commands.Report, ReporterContact | None]:
    """The form's fields as a report and a contact; raises FormErrors naming every wrong field in zh-CN."""
    errors: dict[str, str] = {}
    for name, label, limit in (
        ("title", "标题", 200),
        ("description", "问题描述", 5000),
        ("township", "所在乡镇", 100),
    ):
        if not values[name]:
            errors[name] = f"请填写{label}"
        elif len(values[name]) > limit:
            errors[name] = f"{label}不能超过 {limit} 个字"
    problem_domain = Domain(values["domain"]) if values["domain"] in Domain._value2member_map_ else None
    if problem_domain is None:
        errors["domain"] = "请选择问题领域"
    if len(values["address"]) > 500:
        errors["address"] = "地址不能超过 500 个字"
    lat = _number(values["lat"], "lat", "纬度", -90, 90, errors)
    lon = _number(values["lon"], "lon", "经度", -180, 180, errors)
    if (lat is None) != (lon is None) and "lat" not in errors and "lon" not in errors:
        errors["lat"] = "经度和纬度需同时填写"
    if not values["address"] and lat is None and not errors.keys() & {"lat", "lon"}:
        errors["address"] = "请填写问题地址，或填写经纬度"
    for name in ("title", "description", "township", "address", "name", "phone"):
        if has_control_characters(values.get(name) or "") and name not in errors:
            errors[name] = "不能包含控制字符"
    contact = None
    try:
        contact = contact_from(values["name"], values["phone"])
    except InvalidCommand as exc:
        errors[exc.field] = exc.message
    if errors:
        raise FormErrors(errors)
    assert problem_domain is not None
    report = commands.Report(
        # The public form has no source to choose: a citizen's own report online is a 县长信箱-style letter.
        source=access.PUBLIC_SOURCE,
        channel=Channel.WEB_FORM,
        title=values["title"],
        description=values["description"],
        township=values["township"],
        domain=problem_domain,
        location=Location(address=values["address"] or None, lat=lat, lon=lon),
    )
    return report, contact


@router.post(
    "/report",
    response_class=HTMLResponse,
    status_code=status.HTTP_200_OK,
    openapi_extra=FORM_SCHEMA,
    responses={
        202: {"model": ReportAccepted, "description": "JSON receipt, for clients sending Accept: application/json"},
        413: {"description": "body or a photo above its limit"},
        422: {"description": "a field is wrong; the form is shown again with every problem"},
    },
)
async def submit_form(
    request: Request, deps: DepsDep, submitter: Annotated[access.Submitter, access.public()]
) -> Response:
    settings = deps.settings
    as_json = _wants_json(request)
    values: dict[str, str] = {}
    files: list[bytes] = []
    try:
        async with request.form(max_files=settings.max_photos + 4, max_fields=len(TEXT_FIELDS) + 10) as form:
            values = {name: _text(form.get(name)) for name in TEXT_FIELDS}
            for part in form.getlist("photos"):
                if isinstance(part, UploadFile):
                    files.append(await part.read(settings.max_photo_bytes + 1))
    except HTTPException as exc:
        if exc.status_code == 413:
            raise
        return _refused(as_json, values, {"form": "表单格式有误，请刷新页面后重新填写"}, settings)
    try:
        report, contact = check_form(values)
        # Decoding and encoding photos again (to drop their EXIF) takes CPU: off the event loop.
        photos = await asyncio.to_thread(
            inspect_photos, files, max_photos=settings.max_photos, max_photo_bytes=settings.max_photo_bytes
        )
    except FormErrors as exc:
        return _refused(as_json, values, exc.errors, settings)
    except PhotoRefused as exc:
        return _refused(as_json, values, {"photos": exc.message}, settings)
    except PayloadTooLarge as exc:
        if as_json:
            raise
        return _refused(as_json, values, {"photos": exc.message}, settings, status_code=413)
    receipt = await deps.reports.handle(
        Submission(report=report, contact=contact, photos=tuple(photos)), submitter.actor
    )
    answer: Response
    if as_json:
        answer = JSONResponse(ReportAccepted.of(receipt).model_dump(mode="json"), status_code=status.HTTP_202_ACCEPTED)
    else:
        answer = render(
            "report_receipt.html",
            receipt=receipt,
            linked=receipt.outcome is Outcome.LINKED,
            title=report.title,
            photos=len(photos),
        )
    answer_version(answer, receipt.version)
    return answer


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _refused(
    as_json: bool, values: dict[str, str], errors: dict[str, str], settings: IntakeSettings, status_code: int = 422
) -> Response:
    if as_json:
        fields = [{"field": name, "message": message} for name, message in errors.items()]
        body = {"error": {"code": "invalid_request", "message": "；".join(errors.values()), "fields": fields}}
        return JSONResponse(body, status_code=status_code)
    return render("report_form.html", status_code=status_code, values=values, errors=errors, **_limits(settings))
