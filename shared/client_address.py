"""The client's address (客户端地址), the same way in every service: the connection's peer, or behind trusted proxies
(`TRUSTED_PROXIES`) the nearest address in X-Forwarded-For they did not add.

Anything a client writes into that header itself stands to the left of what our proxy appended, so it is never
read. Intake limits public submissions by it (services/intake/rate_limit.py); the audit events of reads that
matter record it (shared/audit/reads.py).
"""

import ipaddress
from collections.abc import Sequence

from starlette.requests import Request

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def trusted_networks(setting: str) -> tuple[Network, ...]:
    """TRUSTED_PROXIES (addresses or CIDR ranges, comma-separated) as networks; a wrong entry is an error."""
    networks = []
    for entry in (part.strip() for part in setting.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError as exc:
            raise ValueError(f"TRUSTED_PROXIES: {entry!r} is not an IP address or CIDR range") from exc
    return tuple(networks)


def _address(text: str) -> Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def client_address(peer: str | None, forwarded_for: Sequence[str], trusted: Sequence[Network]) -> str:
    """Who submits: the peer, or behind trusted proxies the nearest address in X-Forwarded-For they did not add."""
    peer_address = _address(peer or "")
    if peer_address is None:
        return peer or "unknown"
    if not any(peer_address in network for network in trusted):
        return str(peer_address)
    hops = [hop for header in forwarded_for for hop in header.split(",")]
    nearest = peer_address
    for hop in reversed(hops):
        hop_address = _address(hop)
        if hop_address is None:
            break  # not written by a proxy of ours: what stands left of it is the client's own say
        nearest = hop_address
        if not any(hop_address in network for network in trusted):
            break
    return str(nearest)


def address_of(request: Request, trusted: Sequence[Network]) -> str:
    """The address of the client behind `request`."""
    peer = request.client.host if request.client else None
    return client_address(peer, request.headers.getlist("x-forwarded-for"), trusted)
