-- Every event has its place in its stream's chain (003 and its backfill chained the rows stored before it).
alter table events alter column prev_hash set not null, alter column hash set not null,
    add constraint events_chain_hash_length check (octet_length(prev_hash) = 32 and octet_length(hash) = 32);
