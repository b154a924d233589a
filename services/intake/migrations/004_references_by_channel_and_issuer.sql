-- External references are matched only within the channel they came through and the issuer that numbered them
-- (the report's source), with the batch and the reference apart: (channel, issuer, batch, ref). Before, a reference
-- matched across channels, so a public report claiming an inspection's batch and serial took over the official row.
create table issue_references (
    channel    text not null,
    issuer     text not null,
    batch      text not null default '',  -- '' outside a batch
    ref        text not null,
    issue_id   text not null,
    report_id  uuid not null,
    primary key (channel, issuer, batch, ref)
);

-- Each reference kept so far, with the source, batch and reference of the report that brought it
-- (its event: IssueReported or DuplicateReportLinked, by report id; the walking skeleton's by event id).
insert into issue_references (channel, issuer, batch, ref, issue_id, report_id)
select r.channel,
       e.payload->>'source',
       coalesce(btrim(e.payload->>'batch'), ''),
       btrim(e.payload->>'external_ref'),
       r.issue_id,
       r.report_id
  from issue_refs r
  join events e on e.stream_id = r.issue_id
               and e.type in ('IssueReported', 'DuplicateReportLinked')
               and (e.payload->>'report_id' = r.report_id::text or e.event_id = r.report_id)
 where coalesce(btrim(e.payload->>'external_ref'), '') <> ''
on conflict do nothing;

drop table issue_refs;
