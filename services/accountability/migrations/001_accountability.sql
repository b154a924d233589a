-- Every failure counted on a ladder (计入升级阶梯的失职), one row per triggering cases event.
-- It is the ladder's input: the count of a (unit, case) pair is the fold of its rows, and
-- `trigger_event_id` being unique makes counting the same event twice impossible.
-- `escalation_event_id` is the first event of the escalation the step reached (null: not yet).
create table ladder_steps (
    seq                  bigserial   primary key,
    trigger_event_id     uuid        not null unique,
    trigger_type         text        not null,
    unit                 text        not null,
    case_id              text        not null,
    weight               numeric     not null check (weight >= 0),
    occurred_at          timestamptz not null,
    escalation_event_id  uuid,
    counted_at           timestamptz not null default now()
);
create index ladder_steps_pair_idx on ladder_steps (unit, case_id, seq);

-- Read table of measures, written in the same transaction as their events.
-- `imposed_year` is the year in Asia/Shanghai, the year the county reports in.
create table measures (
    measure_id     text        primary key,
    measure        text        not null,
    target_kind    text        not null,
    unit           text        not null,
    person_name    text,
    person_post    text,
    reason         text        not null,
    case_ids       text[]      not null,
    imposed_by     text        not null,
    imposed_at     timestamptz not null,
    imposed_year   integer     not null,
    revoked_at     timestamptz,
    revoked_by     text,
    revoke_reason  text
);
create index measures_year_idx on measures (imposed_year, measure);
create index measures_unit_idx on measures (unit, imposed_at);
