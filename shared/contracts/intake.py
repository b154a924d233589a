"""Events on `intake.events`: problems as they reach the county (发现)."""

from pydantic import Field

from shared.contracts.base import Contract, Event
from shared.contracts.codes import Domain, Source


class Location(Contract):
    """Where the problem is: an address, coordinates, or both."""

    address: str | None = Field(default=None, max_length=500)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class IssueReported(Event):
    """A problem was reported (发现). The issue id is the stream id."""

    issue_id: str
    source: Source
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=5000)
    township: str = Field(min_length=1, max_length=100)
    domain: Domain
    location: Location | None = None
    batch: str | None = Field(default=None, max_length=100, description="督察批次 inspection batch")
    external_ref: str | None = Field(default=None, max_length=100, description="交办编号 or call reference")

EVENTS: tuple[type[Event], ...] = (IssueReported,)
