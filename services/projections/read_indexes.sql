-- Indexes of the read side: run with search_path set to the generation's schema, after read_models.sql, when a
-- generation is made (generations.create), and for the generations made before them by migration
-- 003_read_indexes.sql (the same statements, one schema after the other). Kept apart from read_models.sql: they
-- change how fast the figures are read, not what the tables hold, so a generation needs no rebuild for them.

-- The figures as of a moment: the states in force then (valid_to after it, or none).
create index if not exists case_history_valid_to_idx on case_history (valid_to);
-- The overdue list, longest overdue first: the states in force now by deadline.
create index if not exists case_history_current_deadline_idx on case_history (deadline, issue_id)
    where valid_to is null;
-- The escalations and measures behind a tally, in time order: the two tables merged by time, a page at a time. Added
-- with read models version 3: older generations are rebuilt (not migrated) before they answer.
create index if not exists escalations_occurred_at_idx on escalations (occurred_at, event_id);
create index if not exists measures_occurred_at_idx on measures (occurred_at, event_id);
-- 屡查屡犯: each enterprise's cases in order, with its name, so the repeat offenders are grouped without a sort.
create index if not exists enforcement_cases_credit_code_idx on enforcement_cases (credit_code, case_id)
    include (enterprise_name);
-- The work report's 销号程序 counts (closure.in_statuses): the few problems now at one of the procedure's steps, found
-- without reading every problem; added by migration 019 to the generations made before it.
create index if not exists issues_status_idx on issues (status);
-- The documents of the work (交办函, 联合督查, 督查通报, 约谈会, 工作会议) are read from the facts by type and time
-- (read_tables/documents.py); added by migration 018 to the generations made before it.
create index if not exists facts_type_occurred_at_idx on facts (type, occurred_at);
-- 绩效考核 (read_tables/assessment.py), added with read models version 6: the year's facts by time (the ranking as of
-- a moment), the missed deadlines still running (the ranking now), one unit's facts and escalations (its drill-down),
-- and the units that held a case in the year, found by skipping from unit to unit and asking each for one state.
create index if not exists assessment_facts_occurred_at_idx on assessment_facts (occurred_at)
    include (unit, kind, deadline, ended_at);
create index if not exists assessment_facts_running_idx on assessment_facts (occurred_at) include (unit, deadline)
    where ended_at is null and kind = 'overdue_case';
create index if not exists assessment_facts_unit_idx on assessment_facts (unit, occurred_at);
create index if not exists escalations_unit_idx on escalations (unit, occurred_at);
create index if not exists case_history_unit_valid_to_idx on case_history (unit, valid_to) include (valid_from);
