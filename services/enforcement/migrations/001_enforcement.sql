-- One row per enforcement case (环境执法案件), written in the transaction that appends its events:
-- the lists and the enterprise record read it; the event stream stays the truth.
create table enforcement_cases (
    case_id           text        primary key,
    credit_code       text        not null,
    enterprise_name   text        not null,
    issue_id          text,
    status            text        not null check (status in ('open', 'closed')),
    opened_at         timestamptz not null,
    opened_year       integer     not null,  -- the year in Asia/Shanghai, as reports count it
    closed_at         timestamptz,
    penalty_fen       bigint      not null default 0,
    paid_fen          bigint      not null default 0,
    daily_rounds      integer     not null default 0,
    detained_persons  integer     not null default 0,
    criminal_persons  integer     not null default 0,
    referred_persons  integer     not null default 0,
    version           integer     not null
);
create index enforcement_cases_credit_code_idx on enforcement_cases (credit_code, opened_at);
create index enforcement_cases_year_status_idx on enforcement_cases (opened_year, status);

-- The status of each rectification case (整改案件) as cases.events tells it. `stream_version` is the
-- version of the event that set it: an older event arriving late (redelivery, replay) changes nothing.
create table rectification_cases (
    issue_id        text        primary key,
    status          text        not null,
    stream_version  integer     not null,
    event_type      text        not null,
    occurred_at     timestamptz not null,
    updated_at      timestamptz not null default now()
);
