-- Issues recorded before intake kept its read tables (the walking skeleton's IssueReported events):
-- indexed here so that duplicate matching and the cases' progress find them too.
-- address_key follows services.intake.duplicates.address_key (NFKC, lower case, letters and digits only).
insert into issue_index (issue_id, township, domain, lat, lon, address_key, reported_at)
select e.stream_id,
       e.payload->>'township',
       e.payload->>'domain',
       (e.payload->'location'->>'lat')::double precision,
       (e.payload->'location'->>'lon')::double precision,
       nullif(regexp_replace(lower(normalize(e.payload->'location'->>'address', NFKC)), '[^[:alnum:]]', '', 'g'), ''),
       e.occurred_at
  from events e
 where e.type = 'IssueReported'
on conflict (issue_id) do nothing;

insert into reports (report_id, issue_id, channel, outcome, received_at)
select e.event_id, e.stream_id, coalesce(e.payload->>'channel', 'api'), 'new', e.occurred_at
  from events e
 where e.type = 'IssueReported'
on conflict (report_id) do nothing;

insert into issue_refs (ref_key, channel, issue_id, report_id)
select case when coalesce(btrim(e.payload->>'batch'), '') <> ''
            then btrim(e.payload->>'batch') || '/' || btrim(e.payload->>'external_ref')
            else btrim(e.payload->>'external_ref') end,
       coalesce(e.payload->>'channel', 'api'),
       e.stream_id,
       e.event_id
  from events e
 where e.type = 'IssueReported' and coalesce(btrim(e.payload->>'external_ref'), '') <> ''
on conflict do nothing;
