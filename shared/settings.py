"""Configuration from environment variables, the same names in every service.

Each service subclasses `ServiceSettings` to set its own name, port and extras.

Secrets (密钥) are never defaulted outside development: without `ENVIRONMENT=development`, set explicitly,
a service refuses to start unless `JWT_SECRET` is set (and intake's `CONTACT_KEYS`), and the repository's
development keys are refused. The refusal names the variable, in Chinese and English. The minimum length
of a key holds in every environment. `make up` generates the local stack's keys (shared/stack_keys.py).
"""

from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LOCAL_DATABASE_URL = "postgresql://postgres@127.0.0.1:55432/postgres"

DEVELOPMENT = "development"
# Development only, and only when ENVIRONMENT=development is set explicitly: refused everywhere else.
DEVELOPMENT_JWT_SECRET = "development-only-secret-change-me-in-production"
MIN_JWT_SECRET_BYTES = 32


class ServiceSettings(BaseSettings):
    # hide_input_in_errors: a refused setting must not print the secrets it was given into a log.
    model_config = SettingsConfigDict(env_file=None, extra="ignore", hide_input_in_errors=True)

    service_name: str = "service"
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    log_json: bool = True

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    # Tests run side by side on one broker and one server: a prefix keeps their topics and databases apart.
    topic_prefix: str = ""
    topic_partitions: int = 3

    # The PostgreSQL server; the service's own database on it is `database_name`.
    database_url: str = LOCAL_DATABASE_URL
    database_name: str | None = None
    database_pool_size: int = 10

    outbox_slots: int = 8
    relay_poll_seconds: float = 0.5

    # Request bodies above this are refused with 413 before anything reads them (shared/body_limit.py);
    # a service may allow more on some paths (intake's form and batch upload).
    max_body_bytes: int = Field(default=1024 * 1024, gt=0)

    # A consumer whose handler keeps failing on an event is held at it (shared/consumer.py) and reported
    # stalled by /readyz after this many attempts or this many seconds; it retries with backoff up to the last.
    consumer_retry_attempts: int = Field(default=8, ge=1)
    consumer_retry_seconds: float = Field(default=60.0, gt=0)
    consumer_max_backoff_seconds: float = Field(default=30.0, gt=0)

    # /metrics: when set, it answers only `Authorization: Bearer <METRICS_TOKEN>`; unset, only in development.
    metrics_token: str | None = Field(default=None, repr=False, min_length=32)

    # Anything but `development` (the default is `production`) requires every secret to be set.
    environment: str = "production"
    # Bearer tokens (shared/auth.py): HS256 with this key, at least 32 bytes.
    jwt_secret: str = Field(default="", repr=False, validate_default=True)
    jwt_issuer: str = "county-env"
    # Who the tokens are for: a token signed for another system with the same key is refused.
    jwt_audience: str = "county-env"
    # Clock skew allowed between the signer and the services (exp, iat).
    jwt_leeway_seconds: float = Field(default=30, ge=0, le=300)
    # A token whose lifetime (exp − iat) is longer is refused, whoever signed it.
    jwt_max_lifetime_hours: float = Field(default=12, gt=0)

    @field_validator("jwt_secret")
    @classmethod
    def _jwt_secret_is_set_and_long_enough(cls, value: str, info: ValidationInfo) -> str:
        secret = required_secret("JWT_SECRET", value, info, development_value=DEVELOPMENT_JWT_SECRET)
        size = len(secret.encode())
        if size < MIN_JWT_SECRET_BYTES:
            raise ValueError(
                f"JWT_SECRET 太短：至少 {MIN_JWT_SECRET_BYTES} 字节，现为 {size} 字节；请换用随机生成的密钥"
                f"（例如 python -c 'import secrets; print(secrets.token_urlsafe(48))'）。"
                f" JWT_SECRET is too short: at least {MIN_JWT_SECRET_BYTES} bytes are required, it has {size};"
                " use a randomly generated key."
            )
        return secret

    @property
    def jwt_max_lifetime(self) -> timedelta:
        return timedelta(hours=self.jwt_max_lifetime_hours)

    def topic(self, name: str) -> str:
        return f"{self.topic_prefix}{name}"

    @property
    def own_topic(self) -> str:
        return self.topic(f"{self.service_name}.events")

    @property
    def database(self) -> str:
        return self.database_name or self.service_name

    @property
    def database_dsn(self) -> str:
        return dsn_for(self.database_url, self.database)

    @property
    def ce_source(self) -> str:
        return f"/county/{self.service_name}"


def required_secret(name: str, value: str, info: ValidationInfo, *, development_value: str) -> str:
    """The secret to use: `value` when set; only with ENVIRONMENT=development, the repository's development value.

    Raises ValueError naming the variable (zh-CN, then English) when it is missing, or is the development value,
    outside development. For a field validator: the field must come after `environment`.
    """
    environment = info.data.get("environment")
    if environment == DEVELOPMENT:
        return value or development_value
    if not value:
        raise ValueError(
            f"{name} 未设置：ENVIRONMENT 不是 development 时必须设置"
            "（本地栈的密钥由 make up 生成在 .run/secrets.env）。"
            f" {name} is not set: it is required unless ENVIRONMENT=development is set explicitly"
            " (make up generates the local stack's keys into .run/secrets.env)."
        )
    if value == development_value or development_value in value.split(","):
        raise ValueError(
            f"{name} 仍是代码库中的开发用密钥，只能在 ENVIRONMENT=development 时使用；请设置本县自己的随机密钥。"
            f" {name} is the repository's development key, accepted only with ENVIRONMENT=development;"
            " set a random key of your own."
        )
    return value


def refusal(error: ValidationError) -> str:
    """What a command prints when its settings are refused: each reason on its own line, without the values."""
    return "\n".join(str(detail["msg"]).removeprefix("Value error, ") for detail in error.errors())


def dsn_for(server_url: str, database: str) -> str:
    """The server URL with its database replaced."""
    parts = urlsplit(server_url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))
