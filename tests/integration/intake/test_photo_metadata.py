"""A reporter's photo keeps no EXIF (GPS, device, author), XMP or comment once intake has it (issue 12, 10)."""

import hashlib
import io
from typing import Any

import httpx
from PIL import Image, ImageOps

from services.intake.settings import IntakeSettings
from tests.integration.intake.conftest import ANONYMOUS, CAMERA, jpeg_with_gps, report_of
from tests.support.kafka import wait_for_events

FORM = {"title": "工地扬尘", "description": "渣土车未覆盖", "township": "城关镇", "domain": "air", "address": "建设路"}


def traces(content: bytes) -> list[str]:
    """What in the bytes still says where, with what or by whom the photo was taken."""
    found = [marker for marker in ("Exif", "http://ns.adobe.com", "GPS", "taken by") if marker.encode() in content]
    found += [value for value in CAMERA.values() if value.encode() in content]
    image = Image.open(io.BytesIO(content))
    if image.getexif():
        found.append(f"EXIF tags {sorted(image.getexif())}")
    found += [key for key in ("exif", "xmp", "comment") if key in image.info]
    return found


async def send_photos(client: httpx.AsyncClient, *photos: tuple[str, bytes, str]) -> dict[str, Any]:
    answer = await client.post(
        "/report",
        data=FORM,
        files=[("photos", photo) for photo in photos],
        headers={"Accept": "application/json"},
        auth=ANONYMOUS,
    )
    assert answer.status_code == 202, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def test_the_stored_and_served_photo_has_no_gps_device_author_xmp_or_comment(
    client: httpx.AsyncClient, settings: IntakeSettings, db: Any
) -> None:
    sent = jpeg_with_gps()
    assert len(traces(sent)) >= 6  # the test photo does carry what must go
    await send_photos(client, ("IMG_0001.JPG", sent, "image/jpeg"))
    [event] = await wait_for_events(settings.broker, settings.own_topic, 1)
    [photo] = report_of(event).attachments
    served = await client.get(f"/v1/attachments/{photo.attachment_id}")
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    stored = await db.fetchval("select content from attachments")
    assert stored == served.content
    assert traces(served.content) == []
    # The event names what is stored: its size and hash, not the upload's.
    assert (photo.size_bytes, photo.sha256) == (len(stored), hashlib.sha256(stored).hexdigest())
    assert photo.sha256 != hashlib.sha256(sent).hexdigest()
    # The picture itself is the one sent.
    assert Image.open(io.BytesIO(stored)).size == Image.open(io.BytesIO(sent)).size


async def test_a_photo_taken_sideways_is_stored_upright_without_its_orientation_tag(
    client: httpx.AsyncClient, settings: IntakeSettings, db: Any
) -> None:
    sent = jpeg_with_gps(size=(64, 48), orientation=6)  # the camera was turned: shown 48 wide, 64 high
    upright = ImageOps.exif_transpose(Image.open(io.BytesIO(sent)))
    await send_photos(client, ("IMG_0002.JPG", sent, "image/jpeg"))
    stored = await db.fetchval("select content from attachments")
    assert Image.open(io.BytesIO(stored)).size == upright.size == (48, 64)
    assert traces(stored) == []


async def test_an_iphone_heic_photo_is_kept_as_a_jpeg_without_its_metadata(
    client: httpx.AsyncClient, settings: IntakeSettings, db: Any
) -> None:
    from pillow_heif import register_heif_opener

    register_heif_opener()
    exif = Image.open(io.BytesIO(jpeg_with_gps())).getexif()
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 200, 30)).save(out, format="HEIF", exif=exif.tobytes())
    sent = out.getvalue()
    assert b"Apple" in sent
    await send_photos(client, ("IMG_0003.HEIC", sent, "image/heic"))
    [event] = await wait_for_events(settings.broker, settings.own_topic, 1)
    [photo] = report_of(event).attachments
    assert (photo.file_name, photo.content_type) == ("photo-1.jpg", "image/jpeg")
    stored = await db.fetchval("select content from attachments")
    assert Image.open(io.BytesIO(stored)).format == "JPEG" and traces(stored) == []


async def test_a_file_that_only_looks_like_a_photo_is_refused(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        "/report",
        data=FORM,
        files=[("photos", ("a.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 256, "image/png"))],
        headers={"Accept": "application/json"},
        auth=ANONYMOUS,
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["fields"][0]["field"] == "photos"
