-- The read models of one generation. Run with search_path set to the generation's schema.
-- Every table is either a fact keyed by its event (inserted once, whatever the order of arrival)
-- or derived from such facts alone, so any interleaving of the topics gives the same tables.

-- Every event applied from the four topics: the facts, and the material of case timelines.
create table facts (
    event_id        uuid        primary key,
    topic           text        not null,  -- intake | cases | enforcement | accountability
    type            text        not null,
    schema_version  integer     not null,
    stream_id       text        not null,
    stream_version  integer     not null,
    occurred_at     timestamptz not null,
    actor           text        not null,
    correlation_id  text        not null,
    payload         jsonb       not null,
    -- the issues (整改案件) the event belongs to, as far as the event itself says
    issue_ids       text[]      not null,
    unique (topic, stream_id, stream_version)
);
create index facts_issue_ids_idx on facts using gin (issue_ids);
create index facts_measure_idx on facts ((payload ->> 'measure_id')) where topic = 'accountability';

-- 问题: one row per reported problem; IssueReported wins over CaseOpened, whichever came first.
create table issues (
    issue_id      text        primary key,
    origin        text        not null check (origin in ('intake', 'cases')),
    source        text        not null,
    township      text        not null,
    domain        text        not null,
    batch         text,
    title         text        not null,
    description   text,
    external_ref  text,
    reported_at   timestamptz not null,
    -- The case's state now: a copy of its case_history row in force (valid_to is null), kept on write by
    -- closure.current_states for every issue a batch touches, so the figures and drill-downs "as of now" read one
    -- row per case without the join. 'reported' and the zeros: no case yet. As-of figures read case_history.
    status          text        not null default 'reported',
    unit            text,
    leader_name     text,
    leader_post     text,
    problem         text,
    task            text,
    measures        text,
    deadline        timestamptz,
    closed_at       timestamptz,
    reopened_count  integer     not null default 0,
    missed_count    integer     not null default 0,
    first_state_at  timestamptz  -- when its case_history begins (null: no case yet)
);
create index issues_reported_at_idx on issues (reported_at);
-- The overdue list (the longest overdue first) and the overdue figure now: the open cases by deadline.
create index issues_open_deadline_idx on issues (deadline, issue_id) where status <> 'closed';

-- 整改状态历史: the case's state between one event and the next, folded from its facts
-- (case_history.py). The state as of T is the row with valid_from <= T < valid_to.
create table case_history (
    issue_id        text        not null,
    seq             integer     not null,
    stream_version  integer     not null,
    valid_from      timestamptz not null,
    valid_to        timestamptz,
    status          text        not null,
    unit            text,
    leader_name     text,
    leader_post     text,
    problem         text,
    task            text,
    measures        text,
    deadline        timestamptz,
    closed_at       timestamptz,
    reopened_count  integer     not null,
    missed_count    integer     not null,
    primary key (issue_id, seq)
);
create index case_history_current_idx on case_history (issue_id) where valid_to is null;

-- 状态变化: the changes of each problem's figures at the instants they happen (read_tables/changes.py): +1 total
-- from its report, ± closed, reopened and overdue as its states begin and end, overdue from the instant its
-- deadline passes. The figures as of T are the sums of the changes at or before T. Kept on write from issues and
-- case_history for the problems a batch touched (their rows replaced), with the per-day sums beside them.
create table state_changes (
    issue_id  text        not null,
    at        timestamptz not null,
    source    text        not null,
    township  text        not null,
    total     integer     not null,
    closed    integer     not null,
    overdue   integer     not null,
    reopened  integer     not null
);
create index state_changes_issue_idx on state_changes (issue_id);
create index state_changes_at_idx on state_changes (at);

-- The same changes added up per county day (Asia/Shanghai) and source: the figures as of the end of a day read
-- days × sources rows; as of an instant within a day, that day's state_changes up to it are added.
create table daily_changes (
    day       date    not null,
    source    text    not null,
    total     bigint  not null,
    closed    bigint  not null,
    overdue   bigint  not null,
    reopened  bigint  not null,
    primary key (day, source)
);

-- The same changes added up per county day and township: the figures by township (the dashboard's chart) as of now or
-- of a past moment read days × townships rows, as daily_changes does per source.
create table township_daily_changes (
    day       date    not null,
    township  text    not null,
    total     bigint  not null,
    closed    bigint  not null,
    overdue   bigint  not null,
    reopened  bigint  not null,
    primary key (day, township)
);

-- 督办问责阶梯: escalations of units (预警, 约谈, 通报批评, 移交纪委监委).
create table escalations (
    event_id      uuid        primary key,
    kind          text        not null,
    unit          text        not null,
    case_ids      text[]      not null,
    summons_date  date,
    occurred_at   timestamptz not null
);

-- 问责措施 and their revocations (撤销); a measure counts unless a revocation of its id exists.
create table measures (
    event_id     uuid        primary key,
    measure_id   text        not null,
    kind         text        not null,
    target_kind  text        not null,
    unit         text        not null,
    person_name  text,
    person_post  text,
    reason       text        not null,
    case_ids     text[]      not null,
    imposed_by   text        not null,
    occurred_at  timestamptz not null
);
create index measures_measure_id_idx on measures (measure_id);

create table measure_revocations (
    event_id     uuid        primary key,
    measure_id   text        not null,
    reason       text        not null,
    occurred_at  timestamptz not null
);
create index measure_revocations_measure_id_idx on measure_revocations (measure_id);

-- 问责统计 now: escalations and measures counted per (year, Asia/Shanghai; unit; kind) on write, with how many of
-- them are revoked (accountability.py: each insert adds its rows, a first revocation of a measure moves it to
-- `revoked`). The tally as of now reads these rows; as of a past moment it counts the items.
create table accountability_counts (
    year     integer not null,
    unit     text    not null,
    kind     text    not null,
    items    integer not null,
    revoked  integer not null,
    primary key (year, unit, kind)
);

-- 绩效考核's facts of the cases (read_tables/assessment.py): each missed deadline (超期), failed verification (验收不通过)
-- and on-time closure (按期销号) of a case, with the unit named in it, recomputed whole from the case's facts for every
-- case a batch touches. What the moment asked changes is read beside them: a missed deadline's days late run to
-- `ended_at` or the moment; a failed verification is 公示异议成立 when an objection (the policy's types, in facts)
-- came after `previous_rejection_at` and by it.
create table assessment_facts (
    event_id              uuid        primary key,
    case_id               text        not null,
    unit                  text        not null,
    kind                  text        not null,  -- overdue_case | closure_rejected | on_time_closure
    occurred_at           timestamptz not null,
    deadline              timestamptz,  -- overdue_case: the deadline missed
    ended_at              timestamptz,  -- overdue_case: the case's next request, closure or new deadline (null: none)
    previous_rejection_at timestamptz   -- closure_rejected: the case's failed verification before this one
);
create index assessment_facts_case_id_idx on assessment_facts (case_id);
-- 绩效考核 now: assessment_facts and the escalations counted per (year, Asia/Shanghai; unit; kind; days late) on
-- write, by the statements that write them (a count that comes back to zero has no row). days_late: of a missed
-- deadline whose lateness ended, its whole days; -1 while it runs (the read counts those days to now from
-- assessment_facts); 0 for the other kinds. A failed verification is counted as closure_rejected (the read moves the
-- upheld ones). As of a past moment the read counts the facts.
create table assessment_counts (
    year       integer not null,
    unit       text    not null,
    kind       text    not null,
    days_late  integer not null,
    facts      integer not null,
    primary key (year, unit, kind, days_late)
);

-- 环境执法: cases filed (立案), penalties (处罚) and payments in integer fen, and the actions
-- against persons (行政拘留, 刑事强制措施, 移送起诉) and closures (结案).
create table enforcement_cases (
    event_id          uuid        primary key,
    case_id           text        not null,
    enterprise_name   text        not null,
    credit_code       text        not null,
    violation         text        not null,
    issue_id          text,
    occurred_at       timestamptz not null
);
create index enforcement_cases_case_id_idx on enforcement_cases (case_id);

create table penalties (
    event_id     uuid        primary key,
    case_id      text        not null,
    penalty_id   text        not null,
    amount_fen   bigint      not null,
    basis        text        not null,
    decision_no  text        not null,
    days         integer,
    occurred_at  timestamptz not null
);

create table payments (
    event_id     uuid        primary key,
    case_id      text        not null,
    penalty_id   text        not null,
    amount_fen   bigint      not null,
    paid_on      date        not null,
    occurred_at  timestamptz not null
);

create table enforcement_actions (
    event_id      uuid        primary key,
    case_id       text        not null,
    kind          text        not null check (kind in ('detention', 'criminal_measures', 'referral', 'closed')),
    persons       integer     not null,
    person_names  text[]      not null,
    occurred_at   timestamptz not null
);

-- 执法统计 per (enforcement case, year, Asia/Shanghai): the four tables above added up on write, in the statement that
-- inserts their rows (enforcement.py), so the figures and their drill-down as of now read a row per case and year.
-- As of a past moment they are added up from the four tables.
create table enforcement_years (
    year                       integer not null,
    case_id                    text    not null,
    cases_filed                integer not null default 0,
    penalties                  integer not null default 0,
    fines_issued_fen           bigint  not null default 0,
    fines_paid_fen             bigint  not null default 0,
    daily_penalty_rounds       integer not null default 0,
    daily_penalty_fen          bigint  not null default 0,
    detention_orders           integer not null default 0,
    persons_detained           integer not null default 0,
    criminal_measures          integer not null default 0,
    persons_criminal_measures  integer not null default 0,
    referrals                  integer not null default 0,
    persons_referred           integer not null default 0,
    cases_closed               integer not null default 0,
    primary key (year, case_id)
);
create index enforcement_years_case_id_idx on enforcement_years (case_id);

-- 整改状态历史 folded from the facts of these cases' streams (read_tables/case_history.py): one row per event in stream
-- order, each the case's state from that event until the next (valid_to), as domain.py describes it. The one
-- definition of the fold: the live batches and the rebuild both replace a case's rows by these.
create function case_history_of(case_ids text[]) returns setof case_history
language plpgsql stable set search_path from current as $$
declare
    f record;
    p jsonb;
    h case_history;
    status text;
    -- the status a case waits in for each step of the closure procedure (shared.contracts.codes.CLOSURE_STEP_STATUS)
    step_status constant jsonb := '{"notice": "awaiting_notice", "signoff": "awaiting_signoff",
                                    "review": "awaiting_review"}';
begin
    for f in select stream_id, stream_version, occurred_at, type, payload from facts
              where topic = 'cases' and stream_id = any(case_ids) order by stream_id, stream_version
    loop
        p := f.payload;
        if h.issue_id is distinct from f.stream_id then
            if h.issue_id is not null then
                return next h;
            end if;
            h := row(f.stream_id, 0, 0, f.occurred_at, null, 'reported', null, null, null, null, null, null, null,
                     null, 0, 0)::case_history;
        else
            -- the interval before ends where this one begins (stream order is the truth: never backwards)
            h.valid_to := greatest(h.valid_from, f.occurred_at);
            return next h;
            h.valid_from := h.valid_to;
            h.valid_to := null;
        end if;
        h.seq := h.seq + 1;
        h.stream_version := f.stream_version;
        -- the status after the event (shared.contracts.cases.STATUS_AFTER), then what it records (domain._record)
        status := case f.type
            when 'CaseOpened' then 'reported'
            when 'Assigned' then 'assigned'
            when 'Reassigned' then 'assigned'
            when 'ClosureRequested' then 'closure_requested'
            when 'Closed' then 'closed'
            when 'ClosureRejected' then 'assigned'
            when 'Reopened' then 'assigned'
            -- the closure procedure (销号工作规程): a step's event leaves the status of the next step (its payload's
            -- remaining steps, VerificationPassed's steps), 待销号 when none remains
            when 'VerificationPassed' then coalesce(step_status ->> (p -> 'steps' ->> 0), 'awaiting_closure')
            when 'NoticeCompleted' then coalesce(step_status ->> (p -> 'remaining' ->> 0), 'awaiting_closure')
            when 'SignedOff' then coalesce(step_status ->> (p -> 'remaining' ->> 0), 'awaiting_closure')
            when 'ReviewPassed' then coalesce(step_status ->> (p -> 'remaining' ->> 0), 'awaiting_closure')
            when 'NoticeStarted' then 'in_notice'
            when 'ObjectionReceived' then 'closure_requested'
            when 'ReviewRequested' then 'awaiting_review'
            when 'ReviewRejected' then 'assigned'
        end;
        h.status := coalesce(status, h.status);
        case f.type
            when 'Assigned', 'Reassigned' then
                h.unit := p ->> 'unit';
                h.leader_name := p -> 'leader' ->> 'name';
                h.leader_post := p -> 'leader' ->> 'post';
                h.problem := p ->> 'problem';
                h.task := p ->> 'task';
                h.measures := p ->> 'measures';
                h.deadline := (p ->> 'deadline')::timestamptz;
            when 'Supervised' then
                h.deadline := coalesce((p ->> 'new_deadline')::timestamptz, h.deadline);
            when 'DeadlineExtended' then
                h.deadline := (p ->> 'new_deadline')::timestamptz;
            when 'Closed' then
                h.closed_at := f.occurred_at;
                h.unit := case when coalesce(h.unit, '') = '' then p ->> 'unit' else h.unit end;
            when 'ClosureRejected' then
                h.unit := case when coalesce(h.unit, '') = '' then p ->> 'unit' else h.unit end;
            when 'ReviewRejected' then
                h.deadline := (p ->> 'new_deadline')::timestamptz;
            when 'Reopened' then
                h.closed_at := null;
                h.deadline := (p ->> 'new_deadline')::timestamptz;
                h.unit := p ->> 'unit';
                h.reopened_count := h.reopened_count + 1;
            when 'DeadlineMissed', 'DeadlineApproaching' then
                h.missed_count := h.missed_count + (f.type = 'DeadlineMissed')::int;
                h.unit := case when coalesce(h.unit, '') = '' then p ->> 'unit' else h.unit end;
                if h.leader_name is null then
                    h.leader_name := p -> 'leader' ->> 'name';
                    h.leader_post := p -> 'leader' ->> 'post';
                end if;
            else
                null;
        end case;
    end loop;
    if h.issue_id is not null then
        return next h;
    end if;
end
$$;

-- ---------------------------------------------------------------- 信息公开 (issue 17 item 2)

-- What the public page (/public/) may show of a case beyond its row in issues, folded from the facts of its stream
-- (read_tables/public.py): the latest 申请销号's summary (the rectification result), the latest 公示 (NoticeStarted:
-- its period and the summary written for the public), and whether the case is withheld from the public
-- (MarkedConfidential, the latest one's `confidential`, true when absent). Recomputed whole for every case a batch
-- touches, so any order of arrival and any repeat give the same row.
create table public_cases (
    issue_id          text        primary key,
    result_summary    text,
    notice_starts_at  timestamptz,
    notice_ends_at    timestamptz,
    notice_summary    text,
    confidential      boolean     not null default false
);
