"""佐证材料 as cases keeps them: recognised by content, photos cleaned, PDFs kept, labels sanitised."""

import hashlib
import io

import pytest
from PIL import ExifTags, Image

from services.cases.evidence import content_disposition, display_name, inspect_file
from shared.errors import InvalidCommand

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF\n"


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "HUAWEI"
    exif[ExifTags.IFD.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (30.0, 7.0, 12.5)}
    out = io.BytesIO()
    Image.new("RGB", (8, 6), (30, 90, 150)).save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_a_pdf_is_kept_byte_for_byte_and_named_by_its_hash() -> None:
    kept = inspect_file(PDF, "整改报告.pdf")
    assert (kept.content, kept.content_type, kept.file_name) == (PDF, "application/pdf", "整改报告.pdf")
    assert kept.sha256 == hashlib.sha256(PDF).hexdigest() and kept.size == len(PDF)


def test_a_photo_is_kept_without_its_exif_and_named_by_the_hash_of_what_is_kept() -> None:
    sent = jpeg_with_gps()
    kept = inspect_file(sent, "IMG_0001.jpeg")
    assert kept.content_type == "image/jpeg" and kept.file_name == "IMG_0001.jpg"
    assert not Image.open(io.BytesIO(kept.content)).getexif() and b"HUAWEI" not in kept.content
    assert kept.sha256 == hashlib.sha256(kept.content).hexdigest() != hashlib.sha256(sent).hexdigest()


@pytest.mark.parametrize(
    "content",
    [
        b"MZ\x90\x00" + b"\x00" * 64,  # a program
        b"<html><script>alert(1)</script></html>",
        b"PK\x03\x04" + b"\x00" * 64,  # a zip, or an Office file
        b" %PDF-1.4",  # not at the start
        b"",
    ],
)
def test_anything_but_a_photo_or_a_pdf_is_refused_on_the_file_field(content: bytes) -> None:
    with pytest.raises(InvalidCommand) as caught:
        inspect_file(content, "photo.jpg")
    assert caught.value.field == "file" and caught.value.message


@pytest.mark.parametrize(
    ("sent", "extension", "label"),
    [
        ("../../etc/passwd", "pdf", "passwd.pdf"),
        ("C:\\Users\\张三\\整改报告.PDF", "pdf", "整改报告.pdf"),
        ("report\u202efdp.exe", "pdf", "reportfdp.exe.pdf"),  # a right-to-left override hid the real extension
        ("a\x00b\x07c\r\n.jpg", "jpg", "abc.jpg"),
        ("IMG_1234.HEIC", "jpg", "IMG_1234.jpg"),  # stored as JPEG
        ("...", "png", "佐证材料.png"),
        (None, "pdf", "佐证材料.pdf"),
        ("长" * 300 + ".pdf", "pdf", "长" * 100 + ".pdf"),
    ],
)
def test_the_uploaders_name_becomes_a_label_never_a_path(sent: str | None, extension: str, label: str) -> None:
    assert display_name(sent, extension) == label


def test_the_disposition_gives_an_ascii_fallback_and_the_label_percent_encoded() -> None:
    sha = "ab" * 32
    assert content_disposition(sha, '报告"; x.pdf', "application/pdf") == (
        "attachment; filename=\"evidence-abababababab.pdf\"; filename*=UTF-8''%E6%8A%A5%E5%91%8A%22%3B%20x.pdf"
    )
    assert content_disposition(sha, "a.jpg", "image/jpeg").startswith("inline;")
