-- Crypto-shredding (可被遗忘): each report's contact and original text are sealed with a data key of its own, kept
-- here only wrapped by the service's keys (CONTACT_KEYS). Erasing a contact deletes its row here and its sealed
-- columns; rotation re-wraps these keys and leaves the contacts as they are (services/intake/privacy.py).
create table contact_keys (
    report_id   uuid        primary key,
    wrapped     bytea       not null,
    created_at  timestamptz not null default now(),
    rotated_at  timestamptz
);
alter table reporter_contacts add column erased_at timestamptz, add column erased_by text;

-- Contact reads are audit events now (ContactRead on audit.reads, in this database's events table); an issue's
-- reads are found by this index. The rows of contact_reads are moved into events on start
-- (services/intake/contact_reads.py) and the table is dropped by a later migration once every install has moved them.
create index events_contact_reads_idx on events ((payload ->> 'issue_id'), occurred_at) where type = 'ContactRead';
