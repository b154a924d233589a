"""Fault drills (故障演练): nothing lost and nothing doubled when parts of the system fail.

`python -m drill` (or `make drill`) runs the five services against a Kafka broker and a PostgreSQL
server of its own (by default on ports 19092/19093 and 55433, never the shared 9092/55432), keeps
a steady offered load of reports and case work on them, and one at a time: kills each service with
SIGKILL and restarts it, stops Kafka for a while and starts it again, and restarts PostgreSQL.
After each fault and at the end it checks and prints:

- every report that got a 202 is in the projections exactly once;
- every case's events are on `cases.events` exactly once and in stream order, compared with the
  case's history (GET /v1/cases/{id}/history);
- every missed deadline produced exactly one DeadlineMissed and exactly one escalation;
- the read models equal a fresh rebuild from the topics;
- the services are ready again, and how long that took.

"Exactly once" on a topic is by event id. The outbox relay is at least once: killed between the
broker's acknowledgement and the outbox delete, it publishes the same events again, with the same
event ids, and every consumer drops the repeat in its inbox. Such redelivered copies are counted
and printed but are not failures. A failure is an event of the history missing from the topic,
an event on the topic that is not in the history, two different events for one stream version,
or a stream's events out of order (by the first copy of each).

A drill that finds a loss or a duplicate exits with status 1 and names what it found.
"""
