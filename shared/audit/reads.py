"""Reads that matter, recorded as events (查阅留痕): who, in which role, what, when, from which address.

A service that answers such a read appends an audit event (shared/contracts/audit.py) to its own event store with
its own audit topic, `audit.reads.<service>` (intake's contact reads and erasures, projections' ledger exports and
timelines: one writer per topic, as for every topic, so neither can record a read in the other's name). The event
and its outbox row commit in the caller's transaction, so a read whose record was not stored does not answer
(intake's contact read holds the answer until then), and every stored record is published by the relay like any
other event. Each read is a new stream of one event (`read-<uuid>`): readers never
contend for a stream version, and a hash chain over a stream (issue 16, item 1) covers each record as it covers any.
"""

from dataclasses import dataclass
from typing import Annotated
from uuid import uuid4

from fastapi import Depends, Request

from shared.auth import Principal
from shared.client_address import address_of, trusted_networks
from shared.commands import request_metadata
from shared.contracts.audit import Read
from shared.db import Connection
from shared.envelope import Envelope
from shared.eventstore import EventStore
from shared.settings import ServiceSettings

# The audit topics, one per service that records reads; projections reads both (GET /v1/audit/reads).
TOPICS = ("audit.reads.intake", "audit.reads.projections")
STREAM_PREFIX = "read-"


def audit_store(settings: ServiceSettings) -> EventStore:
    """The event store a service appends its audit events with: its own events table and outbox, its audit topic."""
    return EventStore(topic=settings.topic(topic_of(settings.service_name)), slots=settings.outbox_slots)


def topic_of(service: str) -> str:
    """The audit topic of `service` (before the settings' prefix)."""
    return f"audit.reads.{service}"


@dataclass(frozen=True)
class Reader:
    """Who reads: the person (the token's user name), their role, and the client's address."""

    actor: str
    role: str
    address: str


def reader_of(request: Request, principal: Principal) -> Reader:
    settings: ServiceSettings = request.state.settings
    return Reader(
        actor=principal.actor,
        role=principal.role.value,
        address=address_of(request, trusted_networks(settings.trusted_proxies))[:64],
    )


def reader(principal_dependency: object) -> object:
    """A dependency giving the `Reader` behind a principal dependency (e.g. `require(Role.OPERATOR)`)."""

    async def dependency(request: Request, principal: Annotated[Principal, principal_dependency]) -> Reader:
        return reader_of(request, principal)

    return Depends(dependency)


async def record(conn: Connection, store: EventStore, who: Reader, event: Read) -> Envelope:
    """Appends `event` as a new stream, in the caller's transaction (the caller commits it before answering)."""
    (envelope,) = await store.append(
        conn,
        f"{STREAM_PREFIX}{uuid4()}",
        [event],
        0,
        request_metadata(who.actor),
    )
    return envelope
