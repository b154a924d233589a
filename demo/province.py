"""The level above, as the demo plays it: the province's 复核 (review) results, sent on `province.inbound`.

The county asks for a review on `province.outbound` (ProvinceReviewRequested); the province's platform answers with a
CloudEvent of type `REVIEW_TYPE` naming the case (shared/contracts/province.py). The demo signs in to the broker as the
`province` user, the only one the broker lets write `province.inbound` (shared/kafka_access.py), with the install's
keys (.run/secrets.env), and answers the cases it asked about.
"""

import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from datetime import datetime

from aiokafka import AIOKafkaProducer

from shared import stack_keys
from shared.broker import Broker
from shared.clock import now
from shared.contracts.province import REVIEW_TYPE
from shared.settings import BrokerSettings

REVIEWER = "省生态环境厅"
SOURCE = "/province/eco-platform"


class Province:
    def __init__(self, producer: AIOKafkaProducer, topic: str) -> None:
        self._producer = producer
        self._topic = topic

    async def review(self, issue_id: str, *, passed: bool, opinion: str, new_deadline: datetime | None = None) -> None:
        """复核通过, or 不通过 with the opinion (and a new deadline, else the county's policy gives one)."""
        data = {"issue_id": issue_id, "passed": passed, "reviewer": REVIEWER, "opinion": opinion}
        data["reviewed_at"] = now().isoformat()
        if new_deadline is not None:
            data["new_deadline"] = new_deadline.isoformat()
        headers = {
            "ce_specversion": "1.0",
            "ce_id": str(uuid.uuid4()),
            "ce_source": SOURCE,
            "ce_type": REVIEW_TYPE,
            "ce_time": now().isoformat(),
            "content-type": "application/json",
        }
        await self._producer.send_and_wait(
            self._topic,
            json.dumps(data, ensure_ascii=False).encode(),
            key=issue_id.encode(),
            headers=[(name, value.encode()) for name, value in headers.items()],
        )


def province_broker(topic_prefix: str) -> Broker:
    """The broker as the `province` user, whose password is in the install's keys. A private stack (its own topic
    prefix: demo/private_stack.py) has no users of its own: its services and the province sign in as the environment's
    user (the install's admin)."""
    broker = BrokerSettings().broker
    if topic_prefix:
        return broker
    return broker.as_user("province", stack_keys.kafka_password(stack_keys.read(), "province"))


@contextlib.asynccontextmanager
async def province(topic_prefix: str = "") -> AsyncIterator[Province]:
    """The province's producer on the stack's broker, answering on `<topic_prefix>province.inbound`."""
    producer = AIOKafkaProducer(**province_broker(topic_prefix).client_options(), acks="all", enable_idempotence=True)
    await producer.start()
    try:
        yield Province(producer, f"{topic_prefix}province.inbound")
    finally:
        await producer.stop()
