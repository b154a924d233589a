"""现场照片: photos sent with a report, checked by their content, kept in intake's database.

The type is read from the file's first bytes, not from the name or the declared type,
which the sender controls. Intake names the file itself: an uploader's file name may
carry a person's name and would then travel on Kafka.

A phone's photo carries EXIF data: where it was taken (GPS), the device and often its
owner's name; XMP and comments may carry more. An anonymous reporter's photo is served
to units and other roles, so each photo is decoded and encoded again from its pixels
alone (Pillow; HEIC through pillow-heif, stored as JPEG, which every browser shows),
turned upright first as its EXIF orientation said. Only the colour profile (ICC) and
PNG transparency are kept. What is stored, hashed and served is the cleaned photo; a
file that does not decode as an image is refused. Blocking: run it in a thread.
"""

import functools
import hashlib
import io
import uuid
import warnings
from dataclasses import dataclass, field

import asyncpg
from PIL import Image, ImageOps, UnidentifiedImageError

from shared.body_limit import MIB, PayloadTooLarge
from shared.contracts.intake import Attachment
from shared.db import Connection


class PhotoRefused(ValueError):
    """422: not a photo we accept, or too many of them."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Photo:
    attachment: Attachment
    content: bytes = field(repr=False)


ACCEPTED_LABEL = "JPEG、PNG、WebP、HEIC"
# Enough for a phone's photo; a few kilobytes of PNG can declare far more, and decoding it would take gigabytes.
MAX_PIXELS = 40_000_000
# The EXIF tag that says how the camera was held.
_ORIENTATION = 0x0112


def sniff(content: bytes) -> tuple[str, str] | None:
    """(content type, extension) of a JPEG, PNG, WebP or HEIC image, or None."""
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", "jpg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png", "png"
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp", "webp"
    if content[4:8] == b"ftyp" and content[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"hevc"):
        return "image/heic", "heic"
    return None


def inspect_photos(files: list[bytes], *, max_photos: int, max_photo_bytes: int) -> list[Photo]:
    """Checks each file's content; photos are named by their place in the report, never by the uploader."""
    files = [content for content in files if content]  # a browser sends an empty part when no file was chosen
    if len(files) > max_photos:
        raise PhotoRefused(f"最多上传 {max_photos} 张照片，本次提交了 {len(files)} 张")
    photos = []
    for n, content in enumerate(files, start=1):
        if len(content) > max_photo_bytes:
            raise PayloadTooLarge(f"第 {n} 张照片超过 {max_photo_bytes / MIB:g} MB 的上限，请压缩后再上传")
        kind = sniff(content)
        if kind is None:
            raise PhotoRefused(f"第 {n} 张照片不是可识别的图片，仅支持 {ACCEPTED_LABEL} 格式")
        content, content_type, extension = without_metadata(content, kind[0], n)
        photos.append(
            Photo(
                attachment=Attachment(
                    attachment_id=str(uuid.uuid4()),
                    file_name=f"photo-{n}.{extension}",
                    content_type=content_type,
                    size_bytes=len(content),
                    sha256=hashlib.sha256(content).hexdigest(),
                ),
                content=content,
            )
        )
    return photos


@functools.cache
def _heif_opener() -> None:
    """HEIC (iPhone photos) for Pillow: registered once, when the first photo is opened."""
    from pillow_heif import register_heif_opener

    register_heif_opener()


def without_metadata(content: bytes, content_type: str, n: int) -> tuple[bytes, str, str]:
    """The photo encoded again from its pixels, upright, with no EXIF, XMP or comment: (bytes, type, extension)."""
    _heif_opener()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise PhotoRefused(f"第 {n} 张照片超过 {MAX_PIXELS // 10_000} 万像素，请缩小后再上传")
                return _encoded(image, content_type)
    except PhotoRefused:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise PhotoRefused(f"第 {n} 张照片无法识别为图片，仅支持 {ACCEPTED_LABEL} 格式") from exc
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise PhotoRefused(f"第 {n} 张照片已损坏，无法读取，请重新拍摄或导出后再上传") from exc


def _encoded(image: Image.Image, content_type: str) -> tuple[bytes, str, str]:
    transposed = image.getexif().get(_ORIENTATION, 1) not in (1, None)
    icc_profile = image.info.get("icc_profile")
    transparency = image.info.get("transparency")
    keep_quality = content_type == "image/jpeg" and not transposed and image.format == "JPEG"
    # Saving the opened JPEG itself keeps its quantisation tables ("keep"): encoding again loses next to nothing.
    clean = ImageOps.exif_transpose(image) if transposed else image if keep_quality else image.copy()
    clean.info = {}  # Pillow carries a JPEG's comment, and a PNG's profile, from here unless told otherwise
    out = io.BytesIO()
    extras: dict[str, object] = {"icc_profile": icc_profile} if icc_profile else {}
    if content_type == "image/png":
        if transparency is not None:
            extras["transparency"] = transparency
        clean.save(out, format="PNG", **extras)
        return out.getvalue(), "image/png", "png"
    if content_type == "image/webp":
        clean.save(out, format="WEBP", quality=90, **extras)
        return out.getvalue(), "image/webp", "webp"
    if clean.mode not in ("L", "RGB", "CMYK"):
        clean = clean.convert("RGB")
    if keep_quality:
        clean.save(out, format="JPEG", quality="keep", **extras)
    else:
        clean.save(out, format="JPEG", quality=90, **extras)
    return out.getvalue(), "image/jpeg", "jpg"


async def keep_photos(conn: Connection, *, report_id: uuid.UUID, issue_id: str, photos: list[Photo]) -> None:
    await conn.executemany(
        """insert into attachments
               (attachment_id, report_id, issue_id, file_name, content_type, size_bytes, sha256, content)
           values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (attachment_id) do nothing""",
        [
            (
                uuid.UUID(p.attachment.attachment_id),
                report_id,
                issue_id,
                p.attachment.file_name,
                p.attachment.content_type,
                p.attachment.size_bytes,
                p.attachment.sha256,
                p.content,
            )
            for p in photos
        ],
    )


async def fetch_photo(conn: Connection, attachment_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "select issue_id, file_name, content_type, content from attachments where attachment_id = $1", attachment_id
    )
