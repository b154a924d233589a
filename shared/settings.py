"""Configuration from environment variables, the same names in every service.

Each service subclasses `ServiceSettings` to set its own name, port and extras.
"""

from typing import Self
from urllib.parse import urlsplit, urlunsplit

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LOCAL_DATABASE_URL = "postgresql://postgres@127.0.0.1:55432/postgres"
DEVELOPMENT_JWT_SECRET = "development-only-secret-change-me-in-production"


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore")

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

    # `development` allows the built-in token key; anything else requires JWT_SECRET to be set.
    environment: str = "development"
    jwt_secret: str = DEVELOPMENT_JWT_SECRET
    jwt_issuer: str = "county-env"

    @model_validator(mode="after")
    def _no_default_secret_outside_development(self) -> Self:
        if self.environment != "development" and self.jwt_secret == DEVELOPMENT_JWT_SECRET:
            raise ValueError("JWT_SECRET must be set when ENVIRONMENT is not development")
        return self

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


def dsn_for(server_url: str, database: str) -> str:
    """The server URL with its database replaced."""
    parts = urlsplit(server_url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))
