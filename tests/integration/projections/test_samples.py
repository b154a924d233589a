"""Every recorded sample of the four topics' events (full and minimal) goes through the read models."""

import json
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest

from services.projections.read_tables.facts import TOPIC_OF
from services.projections.settings import ProjectionsSettings
from shared.clock import now
from shared.envelope import Envelope, decode_payload
from tests.integration.projections.conftest import feed, new_generation
from tests.integration.projections.test_interleavings import answers

SAMPLES = Path(__file__).parents[2] / "contracts" / "samples"


def recorded(variant: str) -> list[Envelope]:
    """The samples as the topics would carry them: one issue's intake and case streams, one enforcement case…"""
    at = now() - timedelta(days=10)
    versions: dict[tuple[str, str], int] = {}
    envelopes = []
    for path in sorted(SAMPLES.glob(f"*.v*.{variant}.json" if variant == "minimal" else "*.v[0-9].json")):
        sample = json.loads(path.read_text(encoding="utf-8"))
        if sample["type"] not in TOPIC_OF:
            continue
        payload = decode_payload(sample["type"], sample["schema_version"], sample["data"])
        topic = TOPIC_OF[sample["type"]]
        stream = {"intake": "示例issue_id", "cases": "示例issue_id", "enforcement": "示例case_id"}.get(
            topic, f"accountability:{sample['type']}"
        )
        versions[topic, stream] = versions.get((topic, stream), 0) + 1
        at += timedelta(minutes=1)
        envelopes.append(
            Envelope.wrap(
                payload,
                stream_id=stream,
                stream_version=versions[topic, stream],
                actor="sample",
                correlation_id="samples",
                occurred_at=at,
            )
        )
    return envelopes


@pytest.mark.parametrize("variant", ["full", "minimal"])
async def test_every_recorded_event_sample_is_applied_described_and_queried(
    pool: asyncpg.Pool, settings: ProjectionsSettings, variant: str
) -> None:
    envelopes = recorded(variant)
    assert {e.type for e in envelopes} == set(TOPIC_OF), "a sample is missing for some event type"
    at = now()
    found = []
    for order in (envelopes, list(reversed(envelopes))):
        generation = await new_generation(pool, settings)
        await feed(pool, generation, order)
        found.append(await answers(pool, generation, envelopes, at))
    assert found[0] == found[1]
    async with pool.acquire() as conn:
        recorded_facts = await conn.fetchval(f"select count(*) from {generation.schema}.facts")
    assert recorded_facts == len(envelopes)
    assert all(text for key, texts in found[0].items() if key[0] == "described" for text in texts)
