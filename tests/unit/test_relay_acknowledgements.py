"""A relay waits for its batches' acknowledgements for a bounded time: an idempotent aiokafka producer retries a batch
for ever, so a batch it cannot deliver must end in an error the relay replaces the producer on."""

import asyncio

import pytest

from shared.relay import acknowledged


async def test_acknowledged_returns_when_every_delivery_is_done() -> None:
    loop = asyncio.get_running_loop()
    deliveries = [loop.create_future() for _ in range(3)]
    for delivery in deliveries:
        loop.call_later(0.01, delivery.set_result, None)
    await acknowledged(deliveries, within=5)
    assert all(d.done() for d in deliveries)


async def test_a_delivery_still_pending_after_the_bound_is_a_timeout_and_is_left_to_its_producer() -> None:
    loop = asyncio.get_running_loop()
    stuck, delivered = loop.create_future(), loop.create_future()
    delivered.set_result(None)
    with pytest.raises(TimeoutError, match="1 of 2"):
        await acknowledged([delivered, stuck], within=0.05)
    assert not stuck.cancelled()


async def test_a_failed_delivery_raises_its_error() -> None:
    failed = asyncio.get_running_loop().create_future()
    failed.set_exception(RuntimeError("refused"))
    with pytest.raises(RuntimeError, match="refused"):
        await acknowledged([failed], within=1)
