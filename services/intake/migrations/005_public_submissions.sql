-- 公众提交频率限制: one row per accepted submission without a staff token, while it counts against its address's
-- window (services/intake/rate_limit.py). Every instance counts here, so the limit holds across instances.
create table public_submissions (
    address  text        not null,
    at       timestamptz not null
);
create index public_submissions_address_idx on public_submissions (address, at);
create index public_submissions_at_idx on public_submissions (at);
