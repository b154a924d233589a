-- Each stream's hash chain (issue 16, shared/audit/chain.py): an event's `hash` links its content's digest to the
-- hash of the event before it in its stream (`prev_hash`; a stream's first event chains from 32 zero bytes). Both are
-- set by the insert that stores the event (shared/eventstore.py). The rows already stored are chained by
-- shared/audit/backfill.py right after this file, in the same transaction, in stream order; 004 then requires both.
alter table events add column prev_hash bytea, add column hash bytea;
