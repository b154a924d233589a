-- The last event each consumer saw of each stream of each topic it reads (shared/audit/continuity.py): the next one
-- must chain from its hash. Written in the batch's transaction, with the effects, the inbox rows and the position.
create table stream_heads (
    consumer        text    not null,
    topic           text    not null,
    stream_id       text    not null,
    stream_version  integer not null,
    hash            bytea   not null,
    primary key (consumer, topic, stream_id)
);
