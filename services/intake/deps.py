"""What intake's routes share: the application service, and the metadata of a request."""

from typing import Annotated

from fastapi import Depends, Request

from services.intake.handlers import Intake
from shared.contracts.intake import Location
from shared.errors import InvalidCommand
from shared.eventstore import Metadata
from shared.web import current_correlation_id


def get_intake(request: Request) -> Intake:
    intake: Intake = request.app.state.platform.extras["intake"]
    return intake


IntakeDep = Annotated[Intake, Depends(get_intake)]


def request_meta(actor: str) -> Metadata:
    return Metadata(actor=actor, correlation_id=current_correlation_id() or "none")


def checked_location(location: Location | None, field: str = "location") -> Location | None:
    """A location is an address, a pair of coordinates, or both; half a pair is a mistake."""
    if location is None:
        return None
    if (location.lat is None) != (location.lon is None):
        raise InvalidCommand(field, "经度和纬度需同时填写")
    address = (location.address or "").strip() or None
    if address is None and location.lat is None:
        return None
    return Location(address=address, lat=location.lat, lon=location.lon)
