"""佐证材料: the files a responsible unit uploads to its case, checked by content and kept in cases' database.

A file is accepted by what its bytes are, never by its name or declared type: a photo (JPEG,
PNG, WebP, HEIC) is decoded and encoded again without its EXIF/GPS, XMP or comments
(shared/photos.py, as intake does with a reporter's photos; HEIC becomes JPEG); a PDF (its
first bytes `%PDF-`) is kept as sent. Anything else is refused. The server names a file by
the SHA-256 of the bytes it stores; the uploader's file name is kept only as a label to show,
sanitised: its last path segment, without control or formatting characters, ending in the
extension of what is stored.

Transaction boundary: `keep` locks the case's row in the case list (the lock every command on
the case takes), checks again that the uploader's unit holds the case and that it is being
rectified, counts the case's files against the limits and inserts, in one transaction: the
file is durable when the route answers 201, and two uploads racing for the last place cannot
both take it. Uploading appends no event. Inspecting a photo is blocking: run it in a thread.
"""

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import quote

import asyncpg

from services.cases import domain, read_tables
from shared.contracts.codes import CaseStatus
from shared.db import Connection
from shared.errors import InvalidCommand, NotFound, RuleViolation
from shared.photos import ACCEPTED_LABEL as PHOTO_TYPES
from shared.photos import PhotoRefused, sniff, without_metadata

PDF = "application/pdf"
ACCEPTED_LABEL = f"照片（{PHOTO_TYPES}）或 PDF 文件"
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", PDF: "pdf"}
# What a sent name may end in for each kind of stored file; it is replaced by the stored file's own extension.
_SENT_EXTENSIONS = {
    "jpg": {"jpg", "jpeg", "jpe", "jfif", "heic", "heif"},
    "png": {"png"},
    "webp": {"webp"},
    "pdf": {"pdf"},
}
MAX_LABEL_CHARS = 100
FIELD = "file"


@dataclass(frozen=True)
class EvidenceFile:
    """A checked file, as it is stored: named by the hash of these bytes."""

    sha256: str
    file_name: str
    content_type: str
    content: bytes = field(repr=False)

    @property
    def size(self) -> int:
        return len(self.content)


@dataclass(frozen=True)
class Limits:
    """How many files and bytes one case may hold."""

    max_files: int
    max_case_bytes: int


def inspect_file(content: bytes, sent_name: str | None) -> EvidenceFile:
    """The file as it will be stored, or InvalidCommand (422, field `file`) naming what is wrong, in zh-CN."""
    if not content:
        raise InvalidCommand(FIELD, "请选择要上传的文件（收到的文件是空的）")
    photo = sniff(content)
    if photo is not None:
        try:
            content, content_type, _ = without_metadata(content, photo[0])
        except PhotoRefused as exc:
            raise InvalidCommand(FIELD, exc.message) from exc
    elif content.startswith(b"%PDF-"):
        content_type = PDF
    else:
        raise InvalidCommand(FIELD, f"不支持的文件类型：仅可上传{ACCEPTED_LABEL}（按文件内容识别，与文件名无关）")
    return EvidenceFile(
        sha256=hashlib.sha256(content).hexdigest(),
        file_name=display_name(sent_name, EXTENSIONS[content_type]),
        content_type=content_type,
        content=content,
    )


def display_name(sent: str | None, extension: str) -> str:
    """The uploader's file name as a label: never a path, no invisible characters, the stored file's extension."""
    name = unicodedata.normalize("NFC", sent or "")
    name = re.split(r"[/\\]", name)[-1]
    # Control, formatting (such as a right-to-left override that disguises an extension), private and unassigned.
    name = "".join(char for char in name if unicodedata.category(char)[0] != "C")
    name = name.strip().strip(".").strip()
    stem, dot, sent_extension = name.rpartition(".")
    if dot and sent_extension.lower() in _SENT_EXTENSIONS[extension]:
        name = stem.rstrip(". ")
    return f"{name[:MAX_LABEL_CHARS] or '佐证材料'}.{extension}"


def content_disposition(sha256: str, file_name: str, content_type: str) -> str:
    """Photos shown in place, PDFs downloaded; the label in RFC 6266's UTF-8 form, with a plain ASCII fallback."""
    disposition = "inline" if content_type.startswith("image/") else "attachment"
    fallback = f"evidence-{sha256[:12]}.{EXTENSIONS.get(content_type, 'bin')}"
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name, safe='')}"


def check_writable(row: asyncpg.Record | None, case_id: str, unit: str | None) -> None:
    """Only the unit holding the case uploads to it (another's is 404, as if it did not exist), while it rectifies."""
    if row is None or row["unit"] is None or row["unit"] != unit:
        raise NotFound("整改案件", case_id)
    domain.check_upload(CaseStatus(row["status"]))


async def keep(
    conn: Connection, case_id: str, file: EvidenceFile, *, actor: str, unit: str, limits: Limits
) -> tuple[asyncpg.Record, bool]:
    """Stores the file for the case, in one transaction (above); (its row, whether it is new)."""
    async with conn.transaction():
        check_writable(await read_tables.case_row(conn, case_id, lock=True), case_id, unit)
        existing = await _row(conn, case_id, file.sha256)
        if existing is not None:
            return existing, False
        held = await conn.fetchrow(
            "select count(*) as files, coalesce(sum(size_bytes), 0) as bytes from evidence_files where case_id = $1",
            case_id,
        )
        assert held is not None
        count, total = int(held["files"]), int(held["bytes"])
        if count >= limits.max_files:
            raise RuleViolation("evidence_limit", f"每个案件最多上传 {limits.max_files} 个文件，本案件已达上限")
        if total + file.size > limits.max_case_bytes:
            raise RuleViolation(
                "evidence_limit", f"每个案件的文件合计不超过 {limits.max_case_bytes // 2**20} MB，本案件已达上限"
            )
        row = await conn.fetchrow(
            f"""insert into evidence_files
                    (case_id, sha256, file_name, content_type, size_bytes, content, uploaded_by, unit)
                values ($1, $2, $3, $4, $5, $6, $7, $8) returning {_LISTED}""",
            case_id,
            file.sha256,
            file.file_name,
            file.content_type,
            file.size,
            file.content,
            actor,
            unit,
        )
        assert row is not None
        return row, True


_LISTED = "sha256, file_name, content_type, size_bytes, uploaded_by, uploaded_at"


async def _row(conn: Connection, case_id: str, sha256: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"select {_LISTED} from evidence_files where case_id = $1 and sha256 = $2", case_id, sha256
    )


async def uploaded(conn: Connection, case_id: str, hashes: list[str]) -> dict[str, str]:
    """Which of `hashes` name files of this case: SHA-256 → content type (for a command that names files)."""
    if not hashes:
        return {}
    rows = await conn.fetch(
        "select sha256, content_type from evidence_files where case_id = $1 and sha256 = any($2::text[])",
        case_id,
        sorted(set(hashes)),
    )
    return {row["sha256"]: row["content_type"] for row in rows}


async def listed(conn: Connection, case_id: str) -> list[asyncpg.Record]:
    """The case's files, oldest first, without their content."""
    return list(
        await conn.fetch(
            f"select {_LISTED} from evidence_files where case_id = $1 order by uploaded_at, sha256", case_id
        )
    )


async def content(conn: Connection, case_id: str, sha256: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "select file_name, content_type, content from evidence_files where case_id = $1 and sha256 = $2",
        case_id,
        sha256,
    )
