"""现场照片: recognised by content, limited in number and size, renamed by intake, kept without metadata."""

import hashlib
import io
import struct
import zlib

import pytest
from PIL import ExifTags, Image

from services.intake.attachments import inspect_photos
from shared.body_limit import PayloadTooLarge
from shared.photos import MAX_PIXELS, PhotoRefused, sniff, without_metadata


def photo(kind: str, size: tuple[int, int] = (8, 6), **save: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (30, 90, 150)).save(out, format=kind, **save)
    return out.getvalue()


def with_gps(kind: str = "JPEG") -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "HUAWEI"
    exif[ExifTags.Base.Artist] = "Zhang San"
    exif[ExifTags.IFD.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (30.0, 7.0, 12.5)}
    return photo(kind, exif=exif, xmp=b"<x:xmpmeta xmlns:x='adobe:ns:meta/'/>")


PNG, JPEG = photo("PNG"), photo("JPEG")
WEBP = b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 64
HEIC = b"\x00\x00\x00\x18ftypheic" + b"\x00" * 64


@pytest.mark.parametrize(
    ("content", "kind"),
    [(PNG, "image/png"), (JPEG, "image/jpeg"), (WEBP, "image/webp"), (HEIC, "image/heic")],
)
def test_photos_are_recognised_by_their_first_bytes(content: bytes, kind: str) -> None:
    found = sniff(content)
    assert found is not None and found[0] == kind


def test_a_script_named_like_a_photo_is_refused() -> None:
    with pytest.raises(PhotoRefused) as caught:
        inspect_photos([b"<script>alert(1)</script>"], max_photos=3, max_photo_bytes=1000)
    assert "第 1 张照片不是可识别的图片" in caught.value.message


def test_a_file_with_a_photos_first_bytes_that_does_not_decode_is_refused() -> None:
    with pytest.raises(PhotoRefused) as caught:
        inspect_photos([PNG, b"\x89PNG\r\n\x1a\n" + b"\x00" * 64], max_photos=3, max_photo_bytes=1000)
    assert caught.value.message.startswith("第 2 张照片")


def test_a_photo_above_the_limit_is_too_large() -> None:
    with pytest.raises(PayloadTooLarge) as caught:
        inspect_photos([PNG, PNG + b"\x00" * 1000], max_photos=3, max_photo_bytes=500)
    assert caught.value.status_code == 413
    assert "第 2 张照片超过" in caught.value.message


def test_more_photos_than_allowed_are_refused() -> None:
    with pytest.raises(PhotoRefused) as caught:
        inspect_photos([PNG] * 4, max_photos=3, max_photo_bytes=1000)
    assert "最多上传 3 张照片" in caught.value.message


def test_photos_are_named_by_intake_and_empty_parts_are_skipped() -> None:
    photos = inspect_photos([PNG, b"", JPEG], max_photos=3, max_photo_bytes=10_000)
    assert [p.attachment.file_name for p in photos] == ["photo-1.png", "photo-2.jpg"]
    assert photos[0].attachment.sha256 == hashlib.sha256(photos[0].content).hexdigest()
    assert photos[0].attachment.size_bytes == len(photos[0].content)


@pytest.mark.parametrize("kind", ["JPEG", "PNG", "WEBP"])
def test_gps_device_author_and_xmp_are_gone_and_the_hash_is_of_what_is_kept(kind: str) -> None:
    sent = with_gps(kind)
    assert Image.open(io.BytesIO(sent)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    [kept] = inspect_photos([sent], max_photos=1, max_photo_bytes=100_000)
    image = Image.open(io.BytesIO(kept.content))
    assert not image.getexif() and "xmp" not in image.info and "exif" not in image.info
    assert b"HUAWEI" not in kept.content and b"Zhang San" not in kept.content
    assert kept.attachment.sha256 == hashlib.sha256(kept.content).hexdigest() != hashlib.sha256(sent).hexdigest()


def test_a_colour_profile_and_transparency_are_kept() -> None:
    out = io.BytesIO()
    Image.new("P", (4, 4), 0).save(out, format="PNG", transparency=0, icc_profile=b"profile")
    cleaned, _, _ = without_metadata(out.getvalue(), "image/png")
    image = Image.open(io.BytesIO(cleaned))
    assert (image.info.get("transparency"), image.info.get("icc_profile")) == (0, b"profile")


def test_a_few_bytes_declaring_a_giant_picture_are_refused_before_decoding() -> None:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    side = int(MAX_PIXELS**0.5) + 10  # decoded, some 120 MB of pixels
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    huge = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )
    with pytest.raises(PhotoRefused) as caught:
        inspect_photos([huge], max_photos=1, max_photo_bytes=5_000_000)
    assert "万像素" in caught.value.message
