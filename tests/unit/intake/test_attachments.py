"""现场照片: recognised by content, limited in number and size, renamed by intake."""

import hashlib

import pytest

from services.intake.attachments import PhotoRefused, inspect_photos, sniff
from services.intake.limits import PayloadTooLarge

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
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
    photos = inspect_photos([PNG, b"", JPEG], max_photos=3, max_photo_bytes=1000)
    assert [p.attachment.file_name for p in photos] == ["photo-1.png", "photo-2.jpg"]
    assert photos[0].attachment.sha256 == hashlib.sha256(PNG).hexdigest()
    assert photos[0].attachment.size_bytes == len(PNG)
