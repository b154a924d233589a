"""Whose submission it is: the connection's address, or behind the county's own proxies the one they saw."""

import pytest

from shared.client_address import client_address, trusted_networks

PROXIES = trusted_networks("10.0.0.1, 192.168.0.0/16")


def test_without_trusted_proxies_the_header_is_never_read() -> None:
    assert client_address("198.51.100.9", ["203.0.113.5"], trusted_networks("")) == "198.51.100.9"


def test_a_peer_that_is_not_a_trusted_proxy_cannot_name_another_client() -> None:
    assert client_address("198.51.100.9", ["203.0.113.5"], PROXIES) == "198.51.100.9"


def test_behind_trusted_proxies_the_nearest_address_they_did_not_add_is_the_client() -> None:
    assert client_address("10.0.0.1", ["203.0.113.5"], PROXIES) == "203.0.113.5"
    assert client_address("10.0.0.1", ["1.2.3.4, 203.0.113.5, 192.168.3.4"], PROXIES) == "203.0.113.5"
    assert client_address("10.0.0.1", ["1.2.3.4", "203.0.113.5"], PROXIES) == "203.0.113.5"


def test_a_proxy_without_the_header_or_with_garbage_in_it_is_the_client_itself() -> None:
    assert client_address("10.0.0.1", [], PROXIES) == "10.0.0.1"
    assert client_address("10.0.0.1", ["not-an-address"], PROXIES) == "10.0.0.1"
    assert client_address("10.0.0.1", ["203.0.113.5, 192.168.1.1, junk, 192.168.1.2"], PROXIES) == "192.168.1.2"


def test_ipv6_addresses_are_written_one_way() -> None:
    assert client_address("10.0.0.1", ["2001:DB8:0:0::1"], PROXIES) == "2001:db8::1"


def test_a_wrong_proxy_setting_is_an_error_at_start() -> None:
    with pytest.raises(ValueError, match="TRUSTED_PROXIES"):
        trusted_networks("10.0.0.1, proxy.example")
