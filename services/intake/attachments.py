"""现场照片: photos sent with a report, checked by their content, kept in intake's database.

Intake names the file itself: an uploader's file name may carry a person's name and would
then travel on Kafka. How a photo is recognised and cleaned of its EXIF/GPS, XMP and
comments is shared with cases' evidence (shared/photos.py). Blocking: run it in a thread.
"""

import hashlib
import uuid
from dataclasses import dataclass, field

import asyncpg

from shared.body_limit import MIB, PayloadTooLarge
from shared.contracts.intake import Attachment
from shared.db import Connection
from shared.ids import new_id
from shared.photos import ACCEPTED_LABEL, PhotoRefused, sniff, without_metadata


@dataclass(frozen=True)
class Photo:
    attachment: Attachment
    content: bytes = field(repr=False)


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
        content, content_type, extension = without_metadata(content, kind[0], f"第 {n} 张照片")
        photos.append(
            Photo(
                attachment=Attachment(
                    attachment_id=str(new_id()),
                    file_name=f"photo-{n}.{extension}",
                    content_type=content_type,
                    size_bytes=len(content),
                    sha256=hashlib.sha256(content).hexdigest(),
                ),
                content=content,
            )
        )
    return photos


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
