"""重复举报: is a new report one the county already has? Pure rules, no I/O.

Two rules, in this order:
1. the same external reference (交办编号, call reference; batch + serial inside a batch)
   from the same channel and issuer (the source that numbers it): a resend of the same
   report, which creates nothing. A reference is never matched across channels or
   issuers: serial 12 of one inspection batch is not serial 12 of another door's, and
   no one can take over an official reference by sending it first somewhere else.
2. the same township and domain, and a location within `distance_m` of an issue that is
   still open and was reported within `window`. Coordinates are compared by distance;
   without coordinates on both sides, the normalised addresses must be equal.
A report without a location is never matched by place.
"""

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from shared.contracts.codes import Domain
from shared.contracts.intake import Channel, DuplicateRule, Location

EARTH_RADIUS_M = 6_371_008.8


class Outcome(StrEnum):
    NEW = "new"  # 新问题
    LINKED = "linked"  # 重复举报，并入已有问题
    ALREADY_RECEIVED = "already_received"  # 同一报告重复提交


@dataclass(frozen=True)
class DuplicatePolicy:
    distance_m: float
    window: timedelta


@dataclass(frozen=True)
class Place:
    township: str
    domain: Domain
    location: Location | None

    @property
    def has_coordinates(self) -> bool:
        return self.location is not None and self.location.lat is not None and self.location.lon is not None


@dataclass(frozen=True)
class KnownIssue:
    """An issue already opened, as duplicate matching sees it."""

    issue_id: str
    place: Place
    reported_at: datetime
    closed: bool = False


@dataclass(frozen=True)
class Reference:
    """An external reference as its issuer numbered it, and the door it came through."""

    channel: Channel
    issuer: str  # who numbers it: the report's source (central_inspection, hotline_12369, province_platform…)
    batch: str  # "" outside a batch: serial numbers repeat from batch to batch
    ref: str


@dataclass(frozen=True)
class KnownReference:
    issue_id: str


@dataclass(frozen=True)
class Match:
    outcome: Outcome
    issue_id: str | None = None
    rule: DuplicateRule | None = None
    distance_m: int | None = None


NEW = Match(Outcome.NEW)


def reference_of(channel: Channel, issuer: str, batch: str | None, external_ref: str | None) -> Reference | None:
    """The report's reference, or None when it has none."""
    if not external_ref or not external_ref.strip():
        return None
    return Reference(channel=channel, issuer=issuer, batch=(batch or "").strip(), ref=external_ref.strip())


def distance_m(a: Location, b: Location) -> float:
    """Great-circle (haversine) distance in metres between two coordinates."""
    assert a.lat is not None and a.lon is not None and b.lat is not None and b.lon is not None
    phi1, phi2 = math.radians(a.lat), math.radians(b.lat)
    dphi, dlambda = phi2 - phi1, math.radians(b.lon - a.lon)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def address_key(address: str | None) -> str | None:
    """An address with width, case, spaces and punctuation ignored: 城关镇 河西村3组 == 城关镇河西村３组."""
    if not address:
        return None
    text = unicodedata.normalize("NFKC", address).lower()
    key = re.sub(r"[\s\W_]+", "", text)
    return key or None


def place_distance(new: Place, known: Place) -> float | None:
    """Metres between the two places, or None when they cannot be compared or are not the same place."""
    if new.has_coordinates and known.has_coordinates:
        assert new.location is not None and known.location is not None
        return distance_m(new.location, known.location)
    new_key = address_key(new.location.address if new.location else None)
    known_key = address_key(known.location.address if known.location else None)
    if new_key is not None and new_key == known_key:
        return 0.0
    return None


def match_place(new: Place, candidates: list[KnownIssue], policy: DuplicatePolicy, now: datetime) -> Match:
    best: tuple[float, datetime, str] | None = None
    for known in candidates:
        if known.closed or known.place.township != new.township or known.place.domain != new.domain:
            continue
        if now - known.reported_at > policy.window:
            continue
        metres = place_distance(new, known.place)
        if metres is None or metres > policy.distance_m:
            continue
        # The nearest wins; between equals, the older issue (the one people have been reporting).
        key = (metres, known.reported_at, known.issue_id)
        if best is None or key < best:
            best = key
    if best is None:
        return NEW
    return Match(Outcome.LINKED, issue_id=best[2], rule=DuplicateRule.SAME_PLACE, distance_m=round(best[0]))


def classify(
    *,
    place: Place,
    by_reference: KnownReference | None,
    candidates: list[KnownIssue],
    policy: DuplicatePolicy,
    now: datetime,
) -> Match:
    """What to do with a new report: open a new issue, link it to a known one, or recognise a resend.

    `by_reference` is the issue of the report's own reference (same channel and issuer), when there is one.
    """
    if by_reference is not None:
        return Match(Outcome.ALREADY_RECEIVED, issue_id=by_reference.issue_id, rule=DuplicateRule.SAME_EXTERNAL_REF)
    return match_place(place, candidates, policy, now)
