"""举报人信息保密: the reporter's name and phone, kept only here and only encrypted.

They never enter an event, a log line or a response other than the contact read,
and every contact read is recorded as an audit event (shared/audit/reads.py) in the
read's own transaction: no answer without its record. The same goes for a report's
original text where phone or ID-card numbers were masked in it (services/intake/masking.py):
it is sealed beside the contact, for the operator.

Crypto-shredding (可被遗忘): each report's contact and text are sealed with a data key of
their own (a Fernet key, `contact_keys`), which is stored only wrapped by the service's
keys (CONTACT_KEYS, a MultiFernet ring). Rotation re-wraps the data keys and never touches
the contacts; an erasure (`erase_contact`) deletes the report's data key and its sealed
columns, so nothing the database holds can open them again. A backup taken before the
erasure still holds the wrapped key: it is opened only by a service key that the operator
retires after the erasure window (README: "Erasure and backups"). A backup restored within that
window brings the data key back, but not the erasure's event, which is on `audit.reads.intake`:
intake reads its own audit topic from where the restored database stood and erases again
(`reapply_erasure`), so a granted erasure outlives a restore.
"""

import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import structlog
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from shared.audit.reads import Reader, record
from shared.contracts import audit
from shared.db import Connection
from shared.envelope import Envelope
from shared.errors import InvalidCommand, NotFound, RuleViolation
from shared.eventstore import EventStore

log = structlog.get_logger()

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
    """The service's key ring: encrypts with the newest key, decrypts with any configured key (密钥轮换).

    It seals a report's data key (`new_data_key`, `unwrap`); before data keys it sealed contacts directly, and
    it still opens those (`open`) until `rotate_contacts` has given each of them a data key.
    """

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

    def new_data_key(self) -> tuple["DataKey", bytes]:
        """A fresh data key for one report, and the same key wrapped by the newest service key (what is stored)."""
        key = Fernet.generate_key()
        return DataKey(key), self._fernet.encrypt(key)

    def unwrap(self, wrapped: bytes) -> "DataKey":
        return DataKey(self._fernet.decrypt(wrapped))


class DataKey:
    """One report's own key (数据密钥): seals and opens its name, phone and original text."""

    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)

    def __repr__(self) -> str:
        return "DataKey(…)"

    def seal(self, text: str | None) -> bytes | None:
        return None if text is None else self._fernet.encrypt(text.encode())

    def open(self, token: bytes | None) -> str | None:
        return None if token is None else self._fernet.decrypt(token).decode()


async def keep_contact(
    conn: Connection,
    vault: ContactVault,
    *,
    report_id: UUID,
    issue_id: str,
    contact: ReporterContact | None,
    original_text: dict[str, str] | None = None,
) -> None:
    """Seals who reported and, where numbers were masked in it, what they wrote ({field: original text}), with a
    data key of the report's own, stored wrapped beside them."""
    contact = contact or ReporterContact()
    key, wrapped = vault.new_data_key()
    await conn.execute(
        """with kept as (
               insert into reporter_contacts (report_id, issue_id, name_sealed, phone_sealed, text_sealed)
               values ($1, $2, $3, $4, $5) on conflict (report_id) do nothing
               returning report_id
           )
           insert into contact_keys (report_id, wrapped) select report_id, $6 from kept""",
        report_id,
        issue_id,
        key.seal(contact.name),
        key.seal(contact.phone),
        key.seal(json.dumps(original_text, ensure_ascii=False) if original_text else None),
        wrapped,
    )


# What a read of an erased contact says instead of the contact.
ERASED = "已依申请删除"


@dataclass(frozen=True)
class ContactRead:
    report_id: UUID
    channel: str
    received_at: datetime
    name: str | None = field(repr=False)
    phone: str | None = field(repr=False)
    # The report's title, description or address as written, where numbers were masked in it.
    original_text: dict[str, str] | None = field(default=None, repr=False)
    # When the contact was erased on request (依申请删除); then name, phone and text are gone.
    erased_at: datetime | None = None


async def read_contacts(
    conn: Connection, vault: ContactVault, store: EventStore, issue_id: str, reader: Reader
) -> list[ContactRead]:
    """The contacts of every report of an issue (the first and the repeats).

    The read is recorded (audit event ContactRead) in the same transaction as it reads: it answers only once the
    record is committed."""
    async with conn.transaction():
        rows = await conn.fetch(
            """select c.report_id, r.channel, r.received_at, c.name_sealed, c.phone_sealed, c.text_sealed,
                      c.erased_at, k.wrapped
                 from reporter_contacts c join reports r using (report_id)
                 left join contact_keys k using (report_id)
                where c.issue_id = $1
                order by r.received_at, c.report_id""",
            issue_id,
        )
        event = audit.ContactRead(
            role=reader.role, address=reader.address, issue_id=issue_id, report_ids=[str(r["report_id"]) for r in rows]
        )
        await record(conn, store, reader, event)
    return [_opened(vault, r) for r in rows]


def _opened(vault: ContactVault, row: Any) -> ContactRead:
    seen = {"report_id": row["report_id"], "channel": row["channel"], "received_at": row["received_at"]}
    if row["erased_at"] is not None:
        return ContactRead(**seen, name=None, phone=None, erased_at=row["erased_at"])
    # A contact sealed before data keys is opened by the service's keys until rotation gives it a data key.
    opener: ContactVault | DataKey = vault if row["wrapped"] is None else vault.unwrap(row["wrapped"])
    return ContactRead(
        **seen,
        name=opener.open(row["name_sealed"]),
        phone=opener.open(row["phone_sealed"]),
        original_text=_original_text(opener.open(row["text_sealed"])),
    )


def _original_text(opened: str | None) -> dict[str, str] | None:
    return None if opened is None else {str(k): str(v) for k, v in json.loads(opened).items()}


@dataclass(frozen=True)
class Erased:
    report_id: UUID
    erased_at: datetime


async def erase_contact(
    conn: Connection, store: EventStore, reader: Reader, issue_id: str, report_id: UUID | None, reason: str
) -> Erased:
    """依申请删除: destroys the report's data key and its sealed columns, and records the erasure (ContactErased),
    in one transaction. Events are not touched: no contact ever entered one.

    `report_id` names the reporter when the issue has several; with one it may be left out."""
    async with conn.transaction():
        rows = await conn.fetch(
            """select report_id, erased_at from reporter_contacts where issue_id = $1
                order by report_id for update""",
            issue_id,
        )
        if not rows:
            raise NotFound("举报人信息", issue_id)
        if report_id is None:
            if len(rows) > 1:
                raise InvalidCommand("report_id", f"该问题有{len(rows)}位举报人，请用 report_id 指明删除哪一位的信息")
            report_id = rows[0]["report_id"]
        row = next((r for r in rows if r["report_id"] == report_id), None)
        if row is None:
            raise InvalidCommand("report_id", "该问题没有这份举报的举报人信息，请核对 report_id")
        if row["erased_at"] is not None:
            raise RuleViolation("contact_erased", "该举报人信息已依申请删除，无需再次删除")
        await conn.execute("delete from contact_keys where report_id = $1", report_id)
        erased_at = await conn.fetchval(
            """update reporter_contacts
                  set name_sealed = null, phone_sealed = null, text_sealed = null, erased_at = now(), erased_by = $2
                where report_id = $1
            returning erased_at""",
            report_id,
            reader.actor,
        )
        event = audit.ContactErased(
            role=reader.role, address=reader.address, issue_id=issue_id, report_id=str(report_id), reason=reason
        )
        await record(conn, store, reader, event)
    return Erased(report_id=report_id, erased_at=erased_at)


async def reapply_erasure(conn: Connection, envelope: Envelope, event: audit.ContactErased) -> None:
    """An erasure read back from the audit topic: nothing to do when it is in force (the case every time but after a
    restore of a backup taken before it), else the data key and the sealed columns go again, as the erasure left
    them. Recorded as it was granted (its time and actor); no new audit event: the erasure already has one."""
    report_id = UUID(event.report_id)
    removed = await conn.fetchval(
        "with gone as (delete from contact_keys where report_id = $1 returning 1) select count(*) from gone", report_id
    )
    restored = await conn.fetchval(
        """update reporter_contacts
              set name_sealed = null, phone_sealed = null, text_sealed = null,
                  erased_at = coalesce(erased_at, $2), erased_by = coalesce(erased_by, $3)
            where report_id = $1
              and (erased_at is null or name_sealed is not null or phone_sealed is not null or text_sealed is not null)
        returning report_id""",
        report_id,
        envelope.occurred_at,
        envelope.actor,
    )
    if removed or restored is not None:
        log.warning(
            "erasure_reapplied", issue_id=event.issue_id, report_id=event.report_id, event_id=str(envelope.event_id)
        )


async def rotate_contacts(conn: Connection, vault: ContactVault, batch_size: int = 500) -> int:
    """Re-wraps every data key with the newest service key (the contacts stay as they are sealed); a contact sealed
    before data keys is given one now. Afterwards older service keys can be retired. Returns the reports done."""
    rotated = 0
    last: UUID | None = None
    while True:
        async with conn.transaction():
            rows = await conn.fetch(
                """select c.report_id, c.name_sealed, c.phone_sealed, c.text_sealed, k.wrapped
                     from reporter_contacts c left join contact_keys k using (report_id)
                    where ($1::uuid is null or c.report_id > $1) and c.erased_at is null
                    order by c.report_id limit $2 for update of c""",
                last,
                batch_size,
            )
            if not rows:
                return rotated
            try:
                rewrapped = [(r["report_id"], vault.rotate(r["wrapped"])) for r in rows if r["wrapped"] is not None]
                legacy = [_given_a_key(vault, r) for r in rows if r["wrapped"] is None]
            except InvalidToken as exc:
                raise RuntimeError("a stored contact key is sealed with a key that is no longer configured") from exc
            await conn.executemany(
                "update contact_keys set wrapped = $2, rotated_at = now() where report_id = $1", rewrapped
            )
            await conn.executemany(
                """with sealed as (
                       update reporter_contacts set name_sealed = $2, phone_sealed = $3, text_sealed = $4,
                                                    rotated_at = now()
                        where report_id = $1 returning report_id
                   )
                   insert into contact_keys (report_id, wrapped) select report_id, $5 from sealed""",
                legacy,
            )
        rotated += len(rows)
        last = rows[-1]["report_id"]


def _given_a_key(vault: ContactVault, row: Any) -> tuple[Any, ...]:
    """A contact sealed by the service's keys, sealed again with a new data key of its own (and that key wrapped)."""
    key, wrapped = vault.new_data_key()
    columns = (key.seal(vault.open(row[c])) for c in ("name_sealed", "phone_sealed", "text_sealed"))
    return (row["report_id"], *columns, wrapped)
