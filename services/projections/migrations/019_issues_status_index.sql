-- The work report counts the problems now at each step of the closure procedure by their status
-- (closure.in_statuses): the index read_indexes.sql gives a new generation, here for every generation made before it.
do $$
declare
    generation record;
begin
    for generation in
        select schema_name from read_model_generations
         where status <> 'dropped'
           and exists (select 1 from pg_namespace where nspname = schema_name)
    loop
        execute format('create index if not exists issues_status_idx on %I.issues (status)', generation.schema_name);
    end loop;
end
$$;
