-- Fewer index entries per appended event (issue 14: PostgreSQL was a third of the CPU a report costs).
-- An append wrote six index entries and checked a foreign key: events' primary key, (stream_id, stream_version),
-- events_type_idx; the outbox's primary key, its unique event_id (with the foreign key's lookup) and (slot, id).
-- Now three: the outbox row is written in the same statement as its event (shared/eventstore.py), so the key
-- cannot point at nothing, and it is deleted once published, so nothing reads it by event id; the relay reads the
-- outbox in id order (its primary key) filtered by slot, over a table that holds only what waits to be published.
-- No query reads events by type (only the one-off backfills of intake's 002, already applied).
alter table outbox drop constraint if exists outbox_event_id_fkey;
alter table outbox drop constraint if exists outbox_event_id_key;
drop index if exists outbox_slot_idx;
drop index if exists events_type_idx;
