-- The list of cases (案件台账): one row per case, written in the same transaction as each append.
-- Every command locks its case's row first, so the commands on one case take turns.
create table cases (
    case_id          text        primary key,
    status           text        not null,
    source           text        not null,
    title            text        not null,
    township         text        not null,
    domain           text        not null,
    batch            text,
    unit             text,
    leader_name      text,
    leader_post      text,
    deadline         timestamptz,
    deadline_missed  boolean     not null default false,
    times_missed     integer     not null default 0,
    version          integer     not null,
    reported_at      timestamptz not null,
    updated_at       timestamptz not null default now()
);
create index cases_status_idx on cases (status);
create index cases_unit_idx on cases (unit);
create index cases_township_idx on cases (township);
create index cases_open_deadline_idx on cases (deadline) where status <> 'closed';

-- The durable deadline (整改时限) of each open case with one; the poller claims the due rows.
-- An extension or an earlier supervision deadline replaces the row; a closed case has none.
create table case_deadlines (
    case_id     text        primary key references cases (case_id),
    deadline    timestamptz not null,
    -- a closure request is pending: the deadline waits for the verification
    held        boolean     not null default false,
    warned_at   timestamptz,
    missed_at   timestamptz,
    updated_at  timestamptz not null default now()
);
create index case_deadlines_due_idx on case_deadlines (deadline) where missed_at is null and not held;
