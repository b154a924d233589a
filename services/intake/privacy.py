"""举报人信息保密: the reporter's name and phone, kept only here and only encrypted.

They never enter an event, a log line or a response other than the contact read,
and every contact read is recorded (who, when, which reports). The same goes for a
report's original text where phone or ID-card numbers were masked in it
(services/intake/masking.py): it is sealed beside the contact, for the operator.
"""

import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from shared.db import Connection
from shared.errors import InvalidCommand

# 手机 11 digits starting 1[3-9]; 座机 with its 0-led area code, an optional hyphen and an extension.
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")


@dataclass(frozen=True)
class ReporterContact:
    """Who reported (举报人): both fields optional, neither ever shown in a repr or a log."""

    name: str | None = field(default=None, repr=False)
    phone: str | None = field(default=None, repr=False)

    def __bool__(self) -> bool:
        return bool(self.name or self.phone)


def contact_from(name: str | None, phone: str | None, *, field_prefix: str = "") -> ReporterContact | None:
    """Checks and normalises what a reporter typed; the error messages never repeat the value."""
    name = unicodedata.normalize("NFKC", name or "").strip() or None
    if name is not None and len(name) > 50:
        raise InvalidCommand(f"{field_prefix}name", "姓名不能超过 50 个字")
    phone = _phone(phone) if phone and phone.strip() else None
    if phone == "":
        raise InvalidCommand(f"{field_prefix}phone", "联系电话格式不正确，请填写 11 位手机号或带区号的座机号")
    contact = ReporterContact(name=name, phone=phone)
    return contact or None


def _phone(typed: str) -> str:
    """A mobile as its 11 digits (from 138 1234 5678 or +86-138-1234-5678), a landline without blanks; else ""."""
    text = re.sub(r"[\s()（）]", "", unicodedata.normalize("NFKC", typed))
    mobile = re.sub(r"^(\+86|0086)", "", text.replace("-", ""))
    if _MOBILE.match(mobile):
        return mobile
    return text if _LANDLINE.match(text) else ""


class ContactVault:
    """Encrypts with the newest key; decrypts with any configured key (密钥轮换)."""

    def __init__(self, keys: str) -> None:
        parts = [k.strip() for k in keys.split(",") if k.strip()]
        if not parts:
            raise ValueError("no contact encryption key configured (CONTACT_KEYS)")
        self._fernet = MultiFernet([Fernet(k.encode()) for k in parts])

    def seal(self, text: str | None) -> bytes | None:
        return None if text is None else self._fernet.encrypt(text.encode())

    def open(self, token: bytes | None) -> str | None:
        return None if token is None else self._fernet.decrypt(token).decode()

    def rotate(self, token: bytes | None) -> bytes | None:
        return None if token is None else self._fernet.rotate(token)


async def keep_contact(
    conn: Connection,
    vault: ContactVault,
    *,
    report_id: UUID,
    issue_id: str,
    contact: ReporterContact | None,
    original_text: dict[str, str] | None = None,
) -> None:
    """Seals who reported and, where numbers were masked in it, what they wrote ({field: original text})."""
    contact = contact or ReporterContact()
    await conn.execute(
        """insert into reporter_contacts (report_id, issue_id, name_sealed, phone_sealed, text_sealed)
           values ($1, $2, $3, $4, $5) on conflict (report_id) do nothing""",
        report_id,
        issue_id,
        vault.seal(contact.name),
        vault.seal(contact.phone),
        vault.seal(json.dumps(original_text, ensure_ascii=False) if original_text else None),
    )


@dataclass(frozen=True)
class ContactRead:
    report_id: UUID
    channel: str
    received_at: datetime
    name: str | None = field(repr=False)
    phone: str | None = field(repr=False)
    # The report's title, description or address as written, where numbers were masked in it.
    original_text: dict[str, str] | None = field(default=None, repr=False)


async def read_contacts(conn: Connection, vault: ContactVault, issue_id: str, actor: str) -> list[ContactRead]:
    """The contacts of every report of an issue (the first and the repeats); the read itself is recorded."""
    async with conn.transaction():
        rows = await conn.fetch(
            """select c.report_id, r.channel, r.received_at, c.name_sealed, c.phone_sealed, c.text_sealed
                 from reporter_contacts c join reports r using (report_id)
                where c.issue_id = $1
                order by r.received_at, c.report_id""",
            issue_id,
        )
        await conn.execute(
            "insert into contact_reads (issue_id, actor, report_ids) values ($1, $2, $3)",
            issue_id,
            actor,
            [r["report_id"] for r in rows],
        )
    return [
        ContactRead(
            report_id=r["report_id"],
            channel=r["channel"],
            received_at=r["received_at"],
            name=vault.open(r["name_sealed"]),
            phone=vault.open(r["phone_sealed"]),
            original_text=_original_text(vault.open(r["text_sealed"])),
        )
        for r in rows
    ]


def _original_text(opened: str | None) -> dict[str, str] | None:
    return None if opened is None else {str(k): str(v) for k, v in json.loads(opened).items()}


@dataclass(frozen=True)
class RecordedRead:
    """查阅记录: who read an issue's reporter contacts, when, and which reports' contacts they saw."""

    actor: str
    read_at: datetime
    report_ids: list[UUID]


async def recorded_reads(conn: Connection, issue_id: str) -> list[RecordedRead]:
    rows = await conn.fetch(
        "select actor, read_at, report_ids from contact_reads where issue_id = $1 order by id", issue_id
    )
    return [RecordedRead(actor=r["actor"], read_at=r["read_at"], report_ids=list(r["report_ids"])) for r in rows]


async def rotate_contacts(conn: Connection, vault: ContactVault, batch_size: int = 500) -> int:
    """Re-encrypts every stored contact with the newest key; afterwards older keys can be retired."""
    rotated = 0
    last: UUID | None = None
    while True:
        async with conn.transaction():
            rows = await conn.fetch(
                """select report_id, name_sealed, phone_sealed, text_sealed from reporter_contacts
                    where $1::uuid is null or report_id > $1 order by report_id limit $2 for update""",
                last,
                batch_size,
            )
            if not rows:
                return rotated
            try:
                updates = [
                    (
                        r["report_id"],
                        *(vault.rotate(r[column]) for column in ("name_sealed", "phone_sealed", "text_sealed")),
                    )
                    for r in rows
                ]
            except InvalidToken as exc:
                raise RuntimeError("a stored contact is sealed with a key that is no longer configured") from exc
            await conn.executemany(
                """update reporter_contacts
                      set name_sealed = $2, phone_sealed = $3, text_sealed = $4, rotated_at = now()
                    where report_id = $1""",
                updates,
            )
        rotated += len(rows)
        last = rows[-1]["report_id"]
