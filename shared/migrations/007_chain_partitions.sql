-- Where each consumer's chain check stands on each partition it reads (shared/audit/continuity.py): the first offset
-- it checked there, and the offset of the first record with the chain headers it saw. Once the chain is in force on a
-- partition, a record without its headers is a break; and on a partition read from its start, chained from its first
-- record, every stream must begin at version 1. Written in the batch's transaction, like the stream heads.
create table chain_partitions (
    consumer      text    not null,
    topic         text    not null,
    partition     integer not null,
    first_offset  bigint  not null,
    chained_from  bigint,
    primary key (consumer, topic, partition)
);
