-- 佐证材料: the files a responsible unit uploaded to a case (photos cleaned of EXIF/GPS, PDFs as sent), named by the
-- SHA-256 of the stored bytes. Uploading is not an event: it changes nothing in the case. A 进展反馈 or 申请销号
-- names files by hash, and only files of its own case (services/cases/domain.py). The same bytes uploaded twice
-- to one case are one row; a row is never changed or removed, so a hash a command named stays served.
create table evidence_files (
    case_id       text        not null references cases (case_id),
    sha256        text        not null check (sha256 ~ '^[0-9a-f]{64}$'),
    -- the uploader's file name, sanitised: a label to show, never a path
    file_name     text        not null,
    content_type  text        not null,
    size_bytes    integer     not null check (size_bytes > 0),
    content       bytea       not null,
    uploaded_by   text        not null,
    unit          text        not null,
    uploaded_at   timestamptz not null default now(),
    primary key (case_id, sha256)
);
