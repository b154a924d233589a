-- The read side's indexes (read_indexes.sql) in every generation made before them; a generation made from now on
-- gets them from generations.create. The statements are those of read_indexes.sql (tests/unit/projections check).
do $$
declare
    generation record;
begin
    for generation in
        select schema_name from read_model_generations
         where status <> 'dropped'
           and exists (select 1 from pg_namespace where nspname = schema_name)
    loop
        execute format('create index if not exists case_history_valid_to_idx on %I.case_history (valid_to)',
                       generation.schema_name);
        execute format('create index if not exists case_history_current_deadline_idx on %I.case_history'
                       ' (deadline, issue_id) where valid_to is null', generation.schema_name);
    end loop;
end
$$;
