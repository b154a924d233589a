"""What the bench runs against, and how long each measurement lasts (full or smoke)."""

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from bench.tokens import Tokens, tokens
from shared.broker import Broker
from shared.settings import LOCAL_DATABASE_URL, BrokerSettings

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("intake", "cases", "enforcement", "accountability", "projections")


@dataclass(frozen=True)
class Sizes:
    fixed_rate: float  # offered reports per second for the fixed-load figure
    fixed_seconds: float
    saturation_clients: int
    saturation_seconds: float
    e2e_rate: float  # the steady offered load of the end-to-end figure
    e2e_seconds: float
    loop_clients: int
    loop_seconds: float
    loop_warmup_seconds: float  # the closed loop run first, not measured: a fresh stack's first seconds
    store_events: int  # events each event-store figure appends (ours and the baselines alike)
    store_clients: int
    audit_events: int  # events `make verify` is timed over (issue 16)
    producer_records: int  # records of Kafka's ProducerPerformance
    open_rate: float  # reports/s vegeta offers in the sustained open loop (--open-rate)
    open_seconds: float  # (--open-seconds)
    read_requests: int  # requests of each dashboard query, one after another, for its p99
    history_events: int  # the replay's history made once on the topics (bench/history.py); 0: the stack's own


FULL = Sizes(
    fixed_rate=20,
    fixed_seconds=20,
    saturation_clients=16,
    saturation_seconds=20,
    e2e_rate=10,
    e2e_seconds=20,
    loop_clients=8,
    loop_seconds=20,
    loop_warmup_seconds=5,
    store_events=4000,
    store_clients=4,
    audit_events=100_000,
    producer_records=50_000,
    open_rate=500,
    open_seconds=60,
    read_requests=100,
    history_events=200_000,
)
SMOKE = Sizes(
    fixed_rate=5,
    fixed_seconds=1.5,
    saturation_clients=4,
    saturation_seconds=1.5,
    e2e_rate=5,
    e2e_seconds=1.5,
    loop_clients=2,
    loop_seconds=2,
    loop_warmup_seconds=0,
    store_events=60,
    store_clients=2,
    audit_events=2_000,
    producer_records=1000,
    open_rate=20,
    open_seconds=2,
    read_requests=5,
    history_events=0,
)


@dataclass(frozen=True)
class BenchConfig:
    urls: dict[str, str]
    database_url: str = LOCAL_DATABASE_URL  # the PostgreSQL server: scratch databases are made on it
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    topic_prefix: str = ""  # the stack's topics (TOPIC_PREFIX of its services)
    projections_database: str = "projections"  # the live read models, which a replay's must equal
    cases_database: str = "cases"  # the live cases' store: when each loop's case was opened
    run: str = "bench"  # names the run's batch, scratch databases and topics
    pids_dir: Path = ROOT / ".run" / "pids"
    out: Path = ROOT / ".run" / "bench" / "latest.json"
    sizes: Sizes = FULL
    smoke: bool = False
    skip: frozenset[str] = field(default_factory=frozenset)
    history_sizes: tuple[int, ...] = ()  # cases of history at which the reads are measured (--history-sizes)

    @property
    def broker(self) -> Broker:
        """The stack's broker, signed in as KAFKA_USERNAME/KAFKA_PASSWORD (its admin: `use_stack_keys()`)."""
        return BrokerSettings(kafka_bootstrap_servers=self.kafka_bootstrap_servers).broker

    @cached_property
    def tokens(self) -> Tokens:
        return tokens()  # the development users at OIDC_ISSUER (default make up's Keycloak): shared/signin.py

    def url(self, service: str) -> str:
        return self.urls[service].rstrip("/")
