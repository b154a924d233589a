-- 查阅留痕: who read what (audit.reads), for 纪委 (GET /v1/audit/reads). Outside the read models' generations: it is
-- filled by its own consumer (`audit-reads`), kept whole, and a rebuild of the figures leaves it as it is.
create table audit_reads (
    event_id     uuid        primary key,
    type         text        not null,
    resource     text        not null,   -- contact, ledger, timeline (shared.contracts.audit.RESOURCE_OF)
    resource_id  text,                   -- the issue, for a contact or a timeline
    actor        text        not null,
    role         text        not null,
    address      text        not null,
    occurred_at  timestamptz not null,
    detail       jsonb       not null    -- the rest of the event: reports read, the export's filters, the reason
);
create index audit_reads_at_idx on audit_reads (occurred_at, event_id);
create index audit_reads_actor_idx on audit_reads (actor, occurred_at);
create index audit_reads_resource_idx on audit_reads (resource, resource_id, occurred_at);
