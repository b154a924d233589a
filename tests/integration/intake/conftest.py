"""Intake running in this process on the real broker and database, and ways to talk to it."""

import asyncio
import io
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from openpyxl import Workbook
from PIL import ExifTags, Image

from services.intake.main import create_app
from services.intake.settings import IntakeSettings
from shared.auth import Role
from shared.broker import Broker
from shared.contracts import Event
from shared.contracts.intake import DuplicateReportLinked, IssueReported
from shared.envelope import Envelope, to_record
from tests.conftest import SettingsFactory
from tests.support.issuer import issue_token
from tests.support.service import running


def png(size: tuple[int, int] = (16, 12)) -> bytes:
    """A real PNG: intake decodes every photo (to drop its metadata), so a PNG header alone is refused."""
    out = io.BytesIO()
    Image.new("RGB", size, (90, 140, 60)).save(out, format="PNG")
    return out.getvalue()


PNG = png()

# Where and with what a phone took a photo, as its EXIF says: none of it may reach a reader of the report.
CAMERA = {"make": "Apple", "model": "iPhone 15 Pro", "artist": "Ouyang Nana"}
GPS = {"lat": (30.0, 7.0, 12.5), "lon": (114.0, 18.0, 36.0)}


def jpeg_with_gps(size: tuple[int, int] = (64, 48), orientation: int = 1) -> bytes:
    """A phone's JPEG: EXIF with GPS position, device, author and orientation, an XMP packet and a comment."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = CAMERA["make"]
    exif[ExifTags.Base.Model] = CAMERA["model"]
    exif[ExifTags.Base.Artist] = CAMERA["artist"]
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: GPS["lat"],
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: GPS["lon"],
    }
    xmp = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="30,7.2083N"/>'
        b"</rdf:RDF></x:xmpmeta>"
    )
    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(
        out, format="JPEG", exif=exif, xmp=xmp, comment=b"taken by Ouyang Nana", quality=90
    )
    return out.getvalue()


def intake_settings(make_settings: SettingsFactory) -> IntakeSettings:
    made: IntakeSettings = make_settings(IntakeSettings, max_photos=3, max_photo_bytes=4096, max_json_bytes=64 * 1024)
    return made


@pytest.fixture
async def settings(make_settings: SettingsFactory, topics: list[str]) -> IntakeSettings:
    return intake_settings(make_settings)


@pytest.fixture
async def client(settings: IntakeSettings) -> AsyncIterator[httpx.AsyncClient]:
    async with running(create_app(settings)) as client:
        yield client


# What a citizen's browser sends: no token at all (the test client's RoleAuth stays out of it).
ANONYMOUS = httpx.Auth()


def bearer(settings: IntakeSettings, role: Role, subject: str = "tester") -> dict[str, str]:
    unit = "城关镇人民政府" if role is Role.UNIT else None
    return {"Authorization": f"Bearer {issue_token(settings, subject=subject, role=role, unit=unit)}"}


def problem(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "河道夜间非法采砂",
        "description": "夜里有采砂船作业，河岸被挖空",
        "township": "城关镇",
        "domain": "quarrying_sand",
        "location": {"address": "城关镇河西村", "lat": 30.12, "lon": 114.31},
    }
    body.update(overrides)
    return body


def batch_xlsx() -> bytes:
    book = Workbook()
    sheet = book.worksheets[0]
    sheet.append(["批次", "序号", "问题", "乡镇", "领域", "地址", "交办时间"])
    sheet.append(["第二轮第3批", 1, "砖厂粉尘无组织排放", "城关镇", "砖瓦窑", "城关镇南岗村", "2026-06-30"])
    sheet.append(["第二轮第3批", 2, "养殖场污水直排", "河口镇", "畜禽水产养殖", "河口镇东湾", "2026-06-30"])
    sheet.append(["第二轮第3批", 3, "", "河口镇", "火星污染", None, "2026-06-30"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def produce(
    broker: Broker, topic: str, records: Sequence[tuple[bytes | None, bytes, list[tuple[str, bytes]]]]
) -> None:
    producer = AIOKafkaProducer(**broker.client_options(), enable_idempotence=True, acks="all")
    await producer.start()
    try:
        for key, value, headers in records:
            await producer.send_and_wait(topic, value=value, key=key, headers=headers)
    finally:
        await producer.stop()


async def produce_events(
    settings: IntakeSettings, topic: str, stream_id: str, events: list[Event], first: int = 1
) -> None:
    """Events as another service's relay would publish them."""
    records = [
        to_record(
            Envelope.wrap(e, stream_id=stream_id, stream_version=first + i, actor="test", correlation_id="c-test"),
            source="/county/test",
        )
        for i, e in enumerate(events)
    ]
    await produce(settings.broker, settings.topic(topic), records)


def report_of(envelope: Envelope) -> IssueReported | DuplicateReportLinked:
    """The report an event of intake's carries: a first report, or a repeat linked to its issue."""
    assert isinstance(envelope.payload, IssueReported | DuplicateReportLinked)
    return envelope.payload


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 15.0) -> Any:
    """Polls until `check` returns something truthy; returns it."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result:
            return result
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.1)


@pytest.fixture
async def db(client: httpx.AsyncClient, settings: IntakeSettings) -> AsyncIterator[Any]:
    """A connection to intake's own database (after the app created and migrated it)."""
    import asyncpg

    from shared.db import init_connection

    conn = await asyncpg.connect(settings.database_dsn)
    await init_connection(conn)
    yield conn
    await conn.close()
