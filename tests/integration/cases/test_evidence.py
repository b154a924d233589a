"""佐证材料 across HTTP with real PostgreSQL: uploaded by the case's unit, cleaned, served, and the only files a
进展反馈 or 申请销号 may name."""

import hashlib
import io
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from PIL import ExifTags, Image

from services.cases.main import create_app
from services.cases.settings import CasesSettings
from shared import clock
from shared.auth import Role
from tests.conftest import SettingsFactory
from tests.integration.cases.support import PDF, evidence_for, five_definitions, open_case, upload
from tests.support.issuer import issue_token
from tests.support.service import running

UNIT, OTHER_UNIT = "城关镇人民政府", "河口镇人民政府"


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "HUAWEI"
    exif[ExifTags.Base.Artist] = "Zhang San"
    exif[ExifTags.IFD.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (30.0, 7.0, 12.5)}
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (30, 90, 150)).save(out, format="JPEG", exif=exif, comment=b"taken by Zhang San")
    return out.getvalue()


def as_role(settings: CasesSettings, role: Role, unit: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(settings, subject='someone', role=role, unit=unit)}"}


async def assigned_case(client: httpx.AsyncClient, settings: CasesSettings, unit: str = UNIT) -> str:
    case_id = await open_case(client, settings)
    assigned = await client.post(f"/v1/cases/{case_id}/assign", json=five_definitions(unit=unit))
    assert assigned.status_code == 200, assigned.text
    return case_id


async def stored_rows(settings: CasesSettings, case_id: str) -> int:
    import asyncpg

    conn = await asyncpg.connect(settings.database_dsn)
    try:
        return int(await conn.fetchval("select count(*) from evidence_files where case_id = $1", case_id))
    finally:
        await conn.close()


async def test_a_photo_is_stored_and_served_without_its_gps_and_the_same_bytes_twice_are_one_file(
    settings: CasesSettings,
) -> None:
    async with running(create_app(settings)) as client:
        case_id = await assigned_case(client, settings)
        sent = jpeg_with_gps()
        first = await upload(client, case_id, sent, name="IMG_0001.JPG")
        assert first.status_code == 201, first.text
        body = first.json()
        assert body["content_type"] == "image/jpeg" and body["file_name"] == "IMG_0001.jpg"
        assert body["sha256"] != hashlib.sha256(sent).hexdigest()  # what is kept is the cleaned photo
        assert body["uploaded_at"].endswith("+08:00")

        served = await client.get(f"/v1/cases/{case_id}/evidence/{body['sha256']}")
        assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
        assert hashlib.sha256(served.content).hexdigest() == body["sha256"] and len(served.content) == body["size"]
        image = Image.open(io.BytesIO(served.content))
        assert not image.getexif() and "exif" not in image.info and "comment" not in image.info
        assert b"HUAWEI" not in served.content and b"Zhang San" not in served.content
        assert served.headers["cache-control"] == "no-store"
        assert served.headers["x-content-type-options"] == "nosniff"
        assert served.headers["content-disposition"].startswith("inline;")

        again = await upload(client, case_id, sent, name="another-name.jpg")
        assert again.status_code == 200 and again.json() == body
        listed = (await client.get(f"/v1/cases/{case_id}/evidence")).json()
        assert listed["total"] == 1 and listed["items"] == [body]
        assert await stored_rows(settings, case_id) == 1


async def test_a_pdf_is_kept_as_sent_and_served_as_a_sandboxed_download_under_a_sanitised_label(
    settings: CasesSettings,
) -> None:
    async with running(create_app(settings)) as client:
        case_id = await assigned_case(client, settings)
        sent = await upload(client, case_id, PDF, name="C:\\temp\\../整改\u202e报告.PDF")
        assert sent.status_code == 201, sent.text
        body = sent.json()
        assert body["sha256"] == hashlib.sha256(PDF).hexdigest() and body["size"] == len(PDF)
        assert body["content_type"] == "application/pdf" and body["file_name"] == "整改报告.pdf"
        served = await client.get(f"/v1/cases/{case_id}/evidence/{body['sha256']}")
        assert served.content == PDF and served.headers["content-type"] == "application/pdf"
        disposition = served.headers["content-disposition"]
        assert disposition.startswith('attachment; filename="evidence-') and "filename*=UTF-8''" in disposition
        assert "sandbox" in served.headers["content-security-policy"]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("photo.jpg", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200),  # a Windows program renamed as a photo
        ("report.pdf", b"<!doctype html><script>alert(document.cookie)</script>"),
        ("notes.txt", b""),
        ("broken.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64),  # a photo's first bytes, nothing behind them
    ],
)
async def test_a_file_that_is_neither_a_photo_nor_a_pdf_is_refused_naming_the_field(
    settings: CasesSettings, name: str, content: bytes
) -> None:
    async with running(create_app(settings)) as client:
        case_id = await assigned_case(client, settings)
        refused = await upload(client, case_id, content, name=name)
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["fields"][0]["field"] == "file"
        assert refused.json()["error"]["message"]
        assert await stored_rows(settings, case_id) == 0


async def test_an_oversize_file_is_413_before_it_is_kept(make_settings: SettingsFactory, topics: list[str]) -> None:
    settings: CasesSettings = make_settings(CasesSettings, evidence_max_bytes=4096)
    async with running(create_app(settings)) as client:
        case_id = await assigned_case(client, settings)
        within_the_body_limit = PDF + b"%" * 5000  # the body is under limit + framing, the file over its limit
        assert (await upload(client, case_id, within_the_body_limit)).status_code == 413
        far_beyond = PDF + b"%" * 200_000  # refused on its declared length, unread
        answer = await upload(client, case_id, far_beyond)
        assert answer.status_code == 413 and answer.json()["error"]["code"] == "payload_too_large"
        assert await stored_rows(settings, case_id) == 0


async def test_another_units_case_is_404_to_upload_and_to_read_and_county_readers_read_it(
    settings: CasesSettings,
) -> None:
    async with running(create_app(settings)) as client:
        case_id = await assigned_case(client, settings)
        sha256 = (await upload(client, case_id)).json()["sha256"]
        other = as_role(settings, Role.UNIT, OTHER_UNIT)
        for answer in (
            await upload(client, case_id, headers=other),
            await client.get(f"/v1/cases/{case_id}/evidence", headers=other),
            await client.get(f"/v1/cases/{case_id}/evidence/{sha256}", headers=other),
        ):
            assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"
        # the office may read but not upload (403: it is a unit's job)
        office = as_role(settings, Role.INSPECTION_OFFICE)
        assert (await upload(client, case_id, headers=office)).status_code == 403
        for role in (Role.INSPECTION_OFFICE, Role.LEADER, Role.DISCIPLINE, Role.VIEWER):
            served = await client.get(f"/v1/cases/{case_id}/evidence/{sha256}", headers=as_role(settings, role))
            assert served.status_code == 200 and served.content == PDF
        own = as_role(settings, Role.UNIT, UNIT)
        assert (await client.get(f"/v1/cases/{case_id}/evidence", headers=own)).json()["total"] == 1
        unknown = await client.get(f"/v1/cases/{case_id}/evidence/{'0' * 64}")
        assert unknown.status_code == 404


async def test_uploads_wait_for_the_assignment_and_stop_while_the_closure_is_pending(settings: CasesSettings) -> None:
    async with running(create_app(settings)) as client:
        case_id = await open_case(client, settings)
        unassigned = await upload(client, case_id, headers=as_role(settings, Role.UNIT, UNIT))
        assert unassigned.status_code == 404  # no unit holds it yet
        await client.post(f"/v1/cases/{case_id}/assign", json=five_definitions())
        evidence = await evidence_for(client, case_id)
        requested = await client.post(
            f"/v1/cases/{case_id}/request-closure", json={"summary": "已整改", "evidence": evidence}
        )
        assert requested.status_code == 200, requested.text
        pending = await upload(client, case_id, jpeg_with_gps())
        assert pending.status_code == 409 and pending.json()["error"]["code"] == "closure_pending"


async def closure(client: httpx.AsyncClient, case_id: str, evidence: list[dict[str, str]]) -> httpx.Response:
    return await client.post(f"/v1/cases/{case_id}/request-closure", json={"summary": "已整改", "evidence": evidence})


async def test_a_closure_naming_an_unknown_or_another_cases_file_is_422_and_changes_nothing(
    settings: CasesSettings,
) -> None:
    async with running(create_app(settings)) as client:
        case_id, elsewhere = await assigned_case(client, settings), await assigned_case(client, settings)
        others = await evidence_for(client, elsewhere, PDF + b"% another case\n")
        own = await evidence_for(client, case_id)
        unknown = [{"description": "现场照片", "file_name": "x.jpg", "sha256": "cd" * 32}]
        before = (await client.get(f"/v1/cases/{case_id}/history")).json()
        for claimed, place in ((unknown, 0), (own + others, 1)):
            refused = await closure(client, case_id, claimed)
            assert refused.status_code == 422, refused.text
            [problem] = refused.json()["error"]["fields"]
            assert problem["field"] == f"evidence.{place}.sha256" and "不是本案件已上传的文件" in problem["message"]
        assert (await client.get(f"/v1/cases/{case_id}/history")).json() == before

        accepted = await closure(client, case_id, own)
        assert accepted.status_code == 200 and accepted.json()["status"] == "closure_requested"
        case = (await client.get(f"/v1/cases/{case_id}")).json()
        assert case["closure_request"]["evidence"] == own


async def test_progress_names_uploaded_photos_and_shows_them(settings: CasesSettings) -> None:
    async with running(create_app(settings)) as client:
        case_id = await assigned_case(client, settings)
        photo = (await upload(client, case_id, jpeg_with_gps(), name="河岸.jpg")).json()
        pdf = (await upload(client, case_id)).json()
        named: dict[str, Any] = {"description": "拆除后的河岸", "file_name": photo["file_name"]}

        base = f"/v1/cases/{case_id}/progress"
        not_a_photo = await client.post(base, json={"note": "进展", "photos": [named | {"sha256": pdf["sha256"]}]})
        assert not_a_photo.status_code == 422
        assert not_a_photo.json()["error"]["fields"][0]["field"] == "photos.0.sha256"
        unknown = await client.post(base, json={"note": "进展", "photos": [named | {"sha256": "ef" * 32}]})
        assert unknown.status_code == 422 and unknown.json()["error"]["fields"][0]["field"] == "photos.0.sha256"
        too_many = await client.post(base, json={"note": "进展", "photos": [named | {"sha256": photo["sha256"]}] * 21})
        assert too_many.status_code == 422

        photos = [named | {"sha256": photo["sha256"]}]
        reported = await client.post(base, json={"note": "已拆除两台采砂设备", "percent": 40, "photos": photos})
        assert reported.status_code == 200, reported.text
        case = (await client.get(f"/v1/cases/{case_id}")).json()
        assert case["progress"] == {"note": "已拆除两台采砂设备", "percent": 40, "photos": photos}
        history = (await client.get(f"/v1/cases/{case_id}/history")).json()["events"]
        assert history[-1]["type"] == "ProgressReported" and history[-1]["data"]["photos"] == photos


async def test_the_working_days_preview_skips_the_national_day_holiday_and_counts_its_make_up_saturday(
    settings: CasesSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running(create_app(settings)) as client:
        # Monday 29 September 2025, 10:00 in Shanghai. 1–8 October are holidays; Saturday 11 October is worked.
        monkeypatch.setattr(clock, "now", lambda: datetime(2025, 9, 29, 2, 0, tzinfo=UTC))
        unit = as_role(settings, Role.UNIT, UNIT)
        answer = await client.get("/v1/calendar/deadline", params={"working_days": 5}, headers=unit)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {
            "working_days": 5,
            "counted_from": "2025-09-29",
            # 30 Sep (1), 9 Oct (2), 10 Oct (3), Saturday 11 Oct (4), Monday 13 Oct (5)
            "deadline": "2025-10-13T23:59:59+08:00",
            "deadline_utc": "2025-10-13T15:59:59Z",
            "label": "2025年10月13日（星期一）23:59 北京时间",
        }
        for wrong in ("0", "366", "x"):
            refused = await client.get("/v1/calendar/deadline", params={"working_days": wrong})
            assert refused.status_code == 422, wrong
