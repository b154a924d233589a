"""公众提交频率限制 (issue 12, 7): counted in intake's database for all its instances, per real client address.

The limit cannot be reset by a forged X-Forwarded-For, nor escaped with a `public` token; staff who enter
reports are not limited. Limits are per hour or day here, so a test never straddles a window of its own.
"""

import asyncio
from collections.abc import Sequence

import httpx

from services.intake.main import create_app
from services.intake.settings import IntakeSettings
from shared.auth import Role
from tests.conftest import SettingsFactory
from tests.integration.intake.conftest import ANONYMOUS, bearer, problem
from tests.support.service import running


async def submit(client: httpx.AsyncClient, headers: dict[str, str] | None = None) -> httpx.Response:
    """An anonymous report unless `headers` carries a token."""
    return await client.post(
        "/v1/reports", json={**problem(), "source": "mailbox"}, headers=headers or {}, auth=ANONYMOUS
    )


async def codes(client: httpx.AsyncClient, headers: Sequence[dict[str, str] | None]) -> list[int]:
    return [(await submit(client, h)).status_code for h in headers]


async def test_anonymous_submissions_beyond_the_limit_get_429_and_staff_are_not_limited(
    make_settings: SettingsFactory, topics: list[str]
) -> None:
    settings = make_settings(IntakeSettings, public_rate_limit="3/hour")
    async with running(create_app(settings)) as client:
        assert await codes(client, [None] * 4) == [202, 202, 202, 429]
        refused = await submit(client)
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "too_many_requests"
        assert "请" in refused.json()["error"]["message"]
        assert 3500 <= int(refused.headers["Retry-After"]) <= 3600
        for role in (Role.OPERATOR, Role.INSPECTION_OFFICE):
            assert (await submit(client, bearer(settings, role))).status_code == 202


async def test_two_instances_on_one_database_share_the_count(make_settings: SettingsFactory, topics: list[str]) -> None:
    settings = make_settings(IntakeSettings, public_rate_limit="3/hour")
    async with running(create_app(settings)) as first, running(create_app(settings)) as second:
        answers = [(await submit(instance)).status_code for instance in (first, second, first, second, first)]
        assert answers == [202, 202, 202, 429, 429]
    # A restart does not reset it either.
    async with running(create_app(settings)) as restarted:
        assert (await submit(restarted)).status_code == 429


async def test_simultaneous_submissions_from_one_address_let_exactly_the_limit_through(
    make_settings: SettingsFactory, topics: list[str]
) -> None:
    settings = make_settings(IntakeSettings, public_rate_limit="5/hour")
    async with running(create_app(settings)) as first, running(create_app(settings)) as second:
        answers = await asyncio.gather(*(submit(instance) for instance in [first, second] * 6))
    assert sorted(a.status_code for a in answers) == [202] * 5 + [429] * 7


async def test_a_forged_forwarded_for_from_an_untrusted_peer_does_not_reset_the_count(
    make_settings: SettingsFactory, topics: list[str]
) -> None:
    settings = make_settings(IntakeSettings, public_rate_limit="2/hour")
    async with running(create_app(settings)) as client:
        forged = [{"X-Forwarded-For": f"198.51.100.{n}"} for n in range(1, 5)]
        assert await codes(client, forged) == [202, 202, 429, 429]
        assert (await submit(client)).status_code == 429


async def test_behind_a_trusted_proxy_each_client_is_counted_by_the_address_the_proxy_saw(
    make_settings: SettingsFactory, topics: list[str]
) -> None:
    # The in-process client connects from 127.0.0.1: here, that is the county's reverse proxy.
    settings = make_settings(IntakeSettings, public_rate_limit="2/hour", trusted_proxies="127.0.0.1, 10.0.0.0/8")
    async with running(create_app(settings)) as client:
        alice = {"X-Forwarded-For": "203.0.113.5"}
        bob = {"X-Forwarded-For": "203.0.113.6, 10.1.2.3"}  # through a second proxy of ours
        assert await codes(client, [alice, alice, alice]) == [202, 202, 429]
        assert await codes(client, [bob, bob]) == [202, 202]
        # Alice writes Bob's address in front of her own: the proxy appends what it saw, and that is what counts.
        assert await codes(client, [{"X-Forwarded-For": "203.0.113.7, 203.0.113.5"}]) == [429]


async def test_a_public_token_is_limited_like_an_anonymous_caller(
    make_settings: SettingsFactory, topics: list[str]
) -> None:
    settings = make_settings(IntakeSettings, public_rate_limit="2/hour")
    async with running(create_app(settings)) as client:
        citizen = bearer(settings, Role.PUBLIC, "citizen")
        assert await codes(client, [citizen, citizen, citizen, None]) == [202, 202, 429, 429]
        form = await client.post(
            "/report",
            data={"title": "t", "description": "d", "township": "城关镇", "domain": "water", "address": "河西村"},
            headers={**citizen, "Accept": "application/json"},
            auth=ANONYMOUS,
        )
        assert form.status_code == 429
