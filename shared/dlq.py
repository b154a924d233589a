"""Dead letters (死信): list them, and replay chosen ones to their topic once the cause is fixed.

    python -m shared.dlq list [--topic cases.events]                           (make dlq)
    python -m shared.dlq replay --topic cases.events --offsets 0:12,2:7        (make dlq-replay TOPIC=… OFFSETS=…)
    python -m shared.dlq replay --topic cases.events --all

`list` shows every letter of every `<topic>.dlq` (or of one topic) with its place in the DLQ
(`partition:offset`, what `--offsets` takes), its age, the consumer that refused it, the event's
type and id, the reason, and whether it was replayed.

`replay` publishes each chosen letter again to its original topic (its `dlq_topic` header) as it
was: the same key, value and CloudEvents headers, so the same event id. A consumer that had applied
the event finds it in its inbox and does nothing; the one that refused it applies it now. The
`dlq_*` headers are dropped and `dlq_replay_of: <dlq topic>:<partition>:<offset>` is added, so a
letter that fails again shows where it came from.

Each replay is recorded on the topic `dlq.replays` (key: the letter's place; value: when, by whom,
where it went), kept forever, and a letter recorded there is not replayed again unless `--again`
is given. A topic rather than a table: a DLQ belongs to a topic that several services read, none
of whose databases is the natural home, and the record stays beside the letters, on the same
broker. Should the tool stop between publishing and recording, a second replay of that letter is
harmless (same event id: every consumer's inbox drops it).
"""

import argparse
import asyncio
import getpass
import json
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from shared.broker import Broker
from shared.consumer import dlq_topic
from shared.relay import make_producer
from shared.settings import BrokerSettings, ServiceSettings
from shared.topics import EVENT_TOPICS, ensure_topics, read_to_end

REPLAYS_TOPIC = "dlq.replays"
DLQ_SUFFIX = ".dlq"


class DlqSettings(BrokerSettings):
    """What the tool needs of the services' settings, from the same variables: the broker and the topic prefix.

    It signs in as KAFKA_USERNAME (default `admin`): reading every dead-letter topic and writing back to any event
    topic is an operator's act, which no service's user may do.
    """

    topic_prefix: str = ServiceSettings.model_fields["topic_prefix"].default
    topic_partitions: int = ServiceSettings.model_fields["topic_partitions"].default
    dlq_partitions: int = ServiceSettings.model_fields["dlq_partitions"].default

    def topic(self, name: str) -> str:
        return f"{self.topic_prefix}{name}"


@dataclass(frozen=True)
class Letter:
    """One dead letter: the record as the consumer saw it, and where it sits in the DLQ."""

    dlq: str
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]

    @property
    def place(self) -> str:
        return f"{self.dlq}:{self.partition}:{self.offset}"

    def header(self, name: str) -> str:
        found = [raw for key, raw in self.headers if key == name]
        return found[-1].decode("utf-8", errors="replace") if found else ""

    @property
    def original_topic(self) -> str:
        return self.header("dlq_topic") or self.dlq.removesuffix(DLQ_SUFFIX)

    def age(self, now_ms: int) -> str:
        return _duration((now_ms - self.timestamp_ms) / 1000)


def _duration(seconds: float) -> str:
    """3d4h, 2h5m, 12m, 40s: the two largest units."""
    left = max(0, int(seconds))
    units = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
    for index, (unit, size) in enumerate(units[:-1]):
        if left >= size:
            smaller, smaller_size = units[index + 1]
            rest = (left % size) // smaller_size
            return f"{left // size}{unit}{rest}{smaller}" if rest else f"{left // size}{unit}"
    return f"{left}s"


def dlq_name(settings: DlqSettings, topic: str) -> str:
    """The DLQ of a topic given with or without the prefix, or as the DLQ itself."""
    name = topic.removesuffix(DLQ_SUFFIX)
    if settings.topic_prefix and not name.startswith(settings.topic_prefix):
        name = settings.topic(name)
    return dlq_topic(name)


async def read_records(broker: Broker, topics: Sequence[str], *, within: float = 30.0) -> list[Letter]:
    """Every record now on the topics (those that exist), up to the log ends taken at the start."""
    letters = [
        Letter(r.topic, r.partition, r.offset, r.timestamp, r.key, r.value, tuple(r.headers))
        for r in await read_to_end(broker, topics, within=within)
    ]
    return sorted(letters, key=lambda letter: (letter.dlq, letter.partition, letter.offset))


async def replayed(settings: DlqSettings) -> dict[str, dict[str, str]]:
    """The letters replayed so far: place → the last record of its replay."""
    records = await read_records(settings.broker, [settings.topic(REPLAYS_TOPIC)])
    return {(r.key or b"").decode(): json.loads(r.value or b"{}") for r in records}


async def dead_letters(settings: DlqSettings, topics: Iterable[str] | None = None) -> list[Letter]:
    names = [dlq_name(settings, t) for t in (topics or EVENT_TOPICS)]
    return await read_records(settings.broker, names)


async def list_letters(settings: DlqSettings, topics: Iterable[str] | None = None) -> str:
    """The listing `make dlq` prints: per DLQ, one line per letter."""
    letters = await dead_letters(settings, topics)
    done = await replayed(settings)
    now_ms = int(time.time() * 1000)
    if not letters:
        return "没有死信 (no dead letters)"
    lines: list[str] = []
    for dlq in sorted({letter.dlq for letter in letters}):
        mine = [letter for letter in letters if letter.dlq == dlq]
        waiting = sum(1 for letter in mine if letter.place not in done)
        lines.append(f"{dlq}: {len(mine)} 封死信 (dead letters), {waiting} 封未重放 (not replayed)")
        lines.append(f"  {'place':<8} {'age':>5}  {'consumer':<28} {'type':<24} {'event id':<36}  reason")
        for letter in mine:
            replay = done.get(letter.place)
            mark = f"  [已重放 replayed {replay.get('replayed_at', '')}]" if replay else ""
            lines.append(
                f"  {f'{letter.partition}:{letter.offset}':<8} {letter.age(now_ms):>5}  "
                f"{letter.header('dlq_consumer'):<28} {letter.header('ce_type') or '?':<24} "
                f"{letter.header('ce_id') or '?':<36}  {letter.header('dlq_reason')}{mark}"
            )
    return "\n".join(lines)


class ReplayRefused(Exception):
    pass


def parse_offsets(text: str) -> list[tuple[int, int]]:
    """`0:12,2:7` → [(0, 12), (2, 7)]: places in the DLQ, as `list` shows them."""
    places = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        partition, sep, offset = part.partition(":")
        if not sep or not partition.isdigit() or not offset.isdigit():
            raise ReplayRefused(f"无法识别的死信位置 {part!r}：请写成 分区:偏移量，如 0:12 (partition:offset)")
        places.append((int(partition), int(offset)))
    return places


async def replay(
    settings: DlqSettings,
    topic: str,
    places: Sequence[tuple[int, int]] | None,
    *,
    again: bool = False,
    by: str = "",
) -> list[str]:
    """Publishes the chosen letters of the topic's DLQ (None: every one not replayed yet) to their topic; returns
    what was done, one line per letter. Refuses, before publishing anything, a place without a letter, a letter
    already replayed (unless `again`), and a letter whose origin is not an event topic of this stack."""
    dlq = dlq_name(settings, topic)
    letters = {(letter.partition, letter.offset): letter for letter in await dead_letters(settings, [dlq])}
    done = await replayed(settings)
    if places is None:
        chosen = [letter for letter in letters.values() if letter.place not in done]
    else:
        missing = [f"{p}:{o}" for p, o in places if (p, o) not in letters]
        if missing:
            raise ReplayRefused(f"{dlq} 中没有这些死信 (no such dead letters): {', '.join(missing)}")
        chosen = [letters[place] for place in places]
        twice = [letter.place for letter in chosen if letter.place in done]
        if twice and not again:
            raise ReplayRefused(
                f"已重放过 (already replayed): {', '.join(twice)}；"
                "确需再次重放请加 --again (to replay them again, add --again)"
            )
    known = {settings.topic(name) for name in EVENT_TOPICS}
    foreign = [letter.place for letter in chosen if letter.original_topic not in known]
    if foreign:
        raise ReplayRefused(f"原主题不是本系统的事件主题 (origin is not an event topic): {', '.join(foreign)}")
    if not chosen:
        return []
    await ensure_topics(_as_service_settings(settings), [settings.topic(REPLAYS_TOPIC)])
    producer = make_producer(settings.broker)
    await producer.start()
    report = []
    try:
        for letter in chosen:
            headers = [(k, v) for k, v in letter.headers if not k.startswith("dlq_")]
            headers.append(("dlq_replay_of", letter.place.encode()))
            sent = await producer.send_and_wait(
                letter.original_topic, value=letter.value, key=letter.key, headers=headers
            )
            record = {
                "letter": letter.place,
                "topic": letter.original_topic,
                "event_id": letter.header("ce_id"),
                "published_at": f"{sent.partition}:{sent.offset}",
                "replayed_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "by": by,
            }
            await producer.send_and_wait(
                settings.topic(REPLAYS_TOPIC), key=letter.place.encode(), value=json.dumps(record).encode()
            )
            report.append(f"{letter.place} → {letter.original_topic} {sent.partition}:{sent.offset}")
    finally:
        await producer.stop()
    return report


def _as_service_settings(settings: DlqSettings) -> ServiceSettings:
    """ensure_topics takes service settings: only the broker, prefix and partitions are read."""
    return ServiceSettings.model_construct(
        **{name: getattr(settings, name) for name in BrokerSettings.model_fields},
        topic_prefix=settings.topic_prefix,
        topic_partitions=settings.topic_partitions,
        dlq_partitions=settings.dlq_partitions,
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m shared.dlq", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="list dead letters per topic, with reason and age")
    listing.add_argument("--topic", action="append", help="an event topic (e.g. cases.events); default: all")
    again = commands.add_parser("replay", help="publish chosen dead letters to their topic again")
    again.add_argument("--topic", required=True, help="the event topic whose DLQ holds them (e.g. cases.events)")
    chosen = again.add_mutually_exclusive_group(required=True)
    chosen.add_argument("--offsets", help="places in the DLQ as partition:offset, comma-separated (from `list`)")
    chosen.add_argument("--all", action="store_true", help="every letter of that DLQ not replayed yet")
    again.add_argument("--again", action="store_true", help="replay letters that were replayed before")
    again.add_argument("--by", default=_user(), help="who replays (recorded with the replay)")
    args = parser.parse_args(argv)
    settings = DlqSettings()
    try:
        if args.command == "list":
            print(asyncio.run(list_letters(settings, args.topic)))
            return
        places = None if args.all else parse_offsets(args.offsets)
        done = asyncio.run(replay(settings, args.topic, places, again=args.again, by=args.by))
    except ReplayRefused as exc:
        print(exc, file=sys.stderr)
        sys.exit(2)
    print("\n".join(done) if done else "没有要重放的死信 (nothing to replay)")


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


if __name__ == "__main__":
    main()
