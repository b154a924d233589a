-- Every issue intake has opened, with what duplicate matching needs and the case's status as cases reports it.
create table issue_index (
    issue_id      text primary key,
    township      text        not null,
    domain        text        not null,
    lat           double precision,
    lon           double precision,
    address_key   text,
    reported_at   timestamptz not null,
    case_status   text,
    closed        boolean     not null default false,
    -- 整改情况 of the latest closure request, reported to the province with the result.
    closure_summary  text,
    closure_evidence jsonb
);
create index issue_index_open_place_idx on issue_index (township, domain, reported_at) where not closed;

-- Every submission, whatever became of it: a new issue, a repeat linked to one, or a resend of one already received.
create table reports (
    report_id    uuid        primary key,
    issue_id     text        not null,
    channel      text        not null,
    outcome      text        not null,
    received_at  timestamptz not null default now()
);
create index reports_issue_idx on reports (issue_id);

-- External references (交办编号, call reference; inside a batch, batch + serial): one issue each,
-- one row per channel that brought it (a second channel's report of it was a repeat report).
create table issue_refs (
    ref_key    text not null,
    channel    text not null,
    issue_id   text not null,
    report_id  uuid not null,
    primary key (ref_key, channel)
);

-- 举报人信息: sealed with Fernet (CONTACT_KEYS); no plain column holds a name or a phone.
create table reporter_contacts (
    report_id     uuid        primary key references reports (report_id),
    issue_id      text        not null,
    name_sealed   bytea,
    phone_sealed  bytea,
    created_at    timestamptz not null default now(),
    rotated_at    timestamptz
);
create index reporter_contacts_issue_idx on reporter_contacts (issue_id);

-- Who read which reporter contacts, and when (查阅记录).
create table contact_reads (
    id          bigserial   primary key,
    issue_id    text        not null,
    actor       text        not null,
    report_ids  uuid[]      not null,
    read_at     timestamptz not null default now()
);
create index contact_reads_issue_idx on contact_reads (issue_id, read_at);

-- Photos (现场照片), kept by intake; events carry only their id, name, type, size and SHA-256.
create table attachments (
    attachment_id  uuid        primary key,
    report_id      uuid        not null references reports (report_id),
    issue_id       text        not null,
    file_name      text        not null,
    content_type   text        not null,
    size_bytes     integer     not null,
    sha256         text        not null,
    content        bytea       not null,
    created_at     timestamptz not null default now()
);
create index attachments_issue_idx on attachments (issue_id);

-- The province's references (省平台交办编号) and the issue each one is handled in.
create table province_links (
    reference  text        primary key,
    issue_id   text        not null,
    linked_at  timestamptz not null default now()
);
create index province_links_issue_idx on province_links (issue_id);

-- 交办 batch files uploaded, with their row-by-row report.
create table batch_uploads (
    upload_id    uuid        primary key,
    file_name    text        not null,
    file_sha256  text        not null,
    source       text        not null,
    actor        text        not null,
    accepted     integer     not null,
    refused      integer     not null,
    result       jsonb       not null,
    uploaded_at  timestamptz not null default now()
);
