-- One row per reported problem, the base of every closure-rate figure.
create table pj_issues (
    issue_id     text primary key,
    source       text not null,
    township     text not null,
    domain       text not null,
    batch        text,
    title        text not null,
    reported_at  timestamptz not null,
    closed_at    timestamptz
);
create index pj_issues_source_idx on pj_issues (source);
