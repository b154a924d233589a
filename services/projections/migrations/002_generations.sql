-- Read models now live in generations: each a full set of tables in its own schema, built by its own
-- consumer group from offset 0 of every topic (see read_models.sql and generations.py). The first
-- read model (pj_issues in public) is dropped with what its consumer recorded, so that generation 1,
-- whose consumer keeps the name `read-models`, replays every event again instead of finding them in the inbox.
drop table if exists pj_issues;
delete from inbox where consumer = 'read-models';
delete from consumer_positions where consumer = 'read-models';

create table read_model_generations (
    generation       integer     primary key,
    schema_name      text        not null unique,
    consumer         text        not null unique,
    group_id         text        not null unique,
    -- building: a rebuild is replaying into it; active: the one the API answers from;
    -- retired: replaced, kept until dropped; dropped: its schema is gone.
    status           text        not null check (status in ('building', 'active', 'retired', 'dropped')),
    shape            text        not null,
    created_at       timestamptz not null default now(),
    activated_at     timestamptz,
    retired_at       timestamptz,
    replayed_events  bigint,
    replay_seconds   double precision
);
-- At most one generation answers at a time.
create unique index read_model_generations_one_active on read_model_generations ((true)) where status = 'active';
