-- The documents of the work are counted and read from the facts by type and time (read_tables/documents.py): the
-- index read_indexes.sql gives a new generation, here for every generation made before it (as 003 does).
do $$
declare
    generation record;
begin
    for generation in
        select schema_name from read_model_generations
         where status <> 'dropped'
           and exists (select 1 from pg_namespace where nspname = schema_name)
    loop
        execute format('create index if not exists facts_type_occurred_at_idx on %I.facts (type, occurred_at)',
                       generation.schema_name);
    end loop;
end
$$;
