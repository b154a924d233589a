-- Fewer index entries per appended event (issue 14: PostgreSQL was a third of the CPU a report costs).
-- An append wrote six index entries and checked a foreign key: events' primary key, (stream_id, stream_version),
-- events_type_idx; the outbox's primary key (id), its unique event_id (with the foreign key's lookup) and (slot, id).
-- Now three: events' two keys and the outbox's (slot, id), its primary key. The outbox row is written in the same
-- statement as its event (shared/eventstore.py), so its event id cannot point at nothing, and it is deleted once
-- published, so nothing looks it up by event id; the relay reads a slot in id order and deletes by (slot, id), and an
-- append asks whether its slot is empty: all three by (slot, id).
-- No query reads events by type (only the one-off backfills of intake's 002, already applied where they ran).
alter table outbox drop constraint if exists outbox_event_id_fkey;
alter table outbox drop constraint if exists outbox_event_id_key;
alter table outbox drop constraint outbox_pkey;
alter table outbox add primary key (slot, id);
drop index if exists outbox_slot_idx;
drop index if exists events_type_idx;
