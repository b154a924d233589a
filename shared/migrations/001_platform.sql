-- The event store: the truth of every aggregate of this service.
-- (stream_id, stream_version) is the optimistic concurrency check: the database refuses a second writer.
create table events (
    event_id        uuid primary key,
    stream_id       text        not null,
    stream_version  integer     not null check (stream_version > 0),
    type            text        not null,
    schema_version  integer     not null,
    occurred_at     timestamptz not null,
    recorded_at     timestamptz not null default now(),
    correlation_id  text        not null,
    causation_id    text,
    actor           text        not null,
    payload         jsonb       not null,
    unique (stream_id, stream_version)
);
create index events_type_idx on events (type);

-- Events waiting to be published. A row is deleted once the broker acknowledged it.
-- `slot` partitions the outbox by stream so that one relay at a time publishes a stream, in order.
create table outbox (
    id          bigserial   primary key,
    event_id    uuid        not null unique references events (event_id),
    slot        integer     not null,
    topic       text        not null,
    created_at  timestamptz not null default now()
);
create index outbox_slot_idx on outbox (slot, id);

-- Events of other services this service has applied: a redelivery finds its row and does nothing.
create table inbox (
    consumer     text        not null,
    event_id     uuid        not null,
    applied_at   timestamptz not null default now(),
    primary key (consumer, event_id)
);

-- Up to where each consumer has applied each partition, written with the effects.
create table consumer_positions (
    consumer    text    not null,
    topic       text    not null,
    partition   integer not null,
    "offset"    bigint  not null,
    updated_at  timestamptz not null default now(),
    primary key (consumer, topic, partition)
);
