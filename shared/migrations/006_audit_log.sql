-- The audit log (issue 16, item 2): every committed event placed once, in a stable order, as a leaf of a Merkle tree
-- (shared/audit/leaves.py) whose data is the event's `hash` (its stream's chain: 003, shared/audit/chain.py), and
-- the signed checkpoints of that tree (shared/audit/checkpoints.py).
--
-- The placing order: the appending transaction's id (xid8, 64 bits: no wraparound), then the event id. An event is
-- placed only once its transaction's id is below the oldest transaction still running (pg_snapshot_xmin): every
-- transaction below it has committed or rolled back, so no event can appear later before a placed one. The rows
-- stored before this file share its transaction's id, and are placed first, by event id.
-- A btree on (xid, event_id): each round of the appender reads the next rows in order, whatever the backlog (a BRIN
-- index, which an append does not write, made every round sort the whole backlog: bench/audit.py). It is the fourth
-- index entry an append writes (migration 002); its cost is measured in bench/README.md.
alter table events add column xid bigint not null default (pg_current_xact_id()::text::bigint);
create index events_xid_idx on events (xid, event_id);

-- The leaves: position 0, 1, … in placing order; never updated, never deleted.
create table audit_leaves (
    position  bigint primary key check (position >= 0),
    event_id  uuid   not null unique,
    hash      bytea  not null check (octet_length(hash) = 32)
);

-- The root of each complete tile of leaves [256 t, 256 t + 256), written as they are placed: a proof reads these and
-- at most two tiles' leaves (shared/audit/merkle.py, TILE).
create table audit_tiles (
    tile  bigint primary key check (tile >= 0),
    root  bytea  not null check (octet_length(root) = 32)
);

-- The tree's incremental state: its size, its frontier (the compact range [0, size)) and the last event placed.
-- One row; the appender holds it FOR UPDATE, so one appender at a time whatever the number of instances.
create table audit_tree (
    one          boolean primary key default true check (one),
    size         bigint  not null default 0,
    frontier     bytea[] not null default '{}',
    last_xid     bigint  not null default -1,
    last_event   uuid    not null default '00000000-0000-0000-0000-000000000000'
);
insert into audit_tree default values;

-- The signed checkpoints (签名检查点), one per size the tree was signed at.
create table audit_checkpoints (
    size       bigint      primary key,
    root       bytea       not null check (octet_length(root) = 32),
    signed_at  timestamptz not null,
    key_id     text        not null,
    signature  bytea       not null
);
