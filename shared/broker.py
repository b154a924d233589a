"""How a client reaches Kafka and signs in to it: one value every producer, consumer and admin client is built from.

The broker requires SASL/SCRAM (infra/kafka.sh, docker-compose.yml): each service signs in as its own user, and
the broker's ACLs (shared/kafka_access.py) let it write only its own topic and read only what it consumes.
`PLAINTEXT` is for a development broker without authentication, and only with `ENVIRONMENT=development`.
"""

from dataclasses import dataclass, field, replace
from typing import Any, Literal

from aiokafka.helpers import create_ssl_context

SecurityProtocol = Literal["SASL_PLAINTEXT", "SASL_SSL", "PLAINTEXT"]
SaslMechanism = Literal["SCRAM-SHA-512", "SCRAM-SHA-256"]
PLAINTEXT = "PLAINTEXT"


@dataclass(frozen=True)
class Broker:
    """The Kafka cluster and the user a client signs in as."""

    bootstrap_servers: str
    username: str = ""
    password: str = field(default="", repr=False)
    security_protocol: SecurityProtocol = "SASL_PLAINTEXT"
    sasl_mechanism: SaslMechanism = "SCRAM-SHA-512"
    # SASL_SSL: the CA that signed the brokers' certificates (the system's trust store when unset).
    ssl_cafile: str | None = None

    @property
    def signs_in(self) -> bool:
        return self.security_protocol != PLAINTEXT

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for any aiokafka client (producer, consumer, admin)."""
        options: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap_servers,
            "security_protocol": self.security_protocol,
        }
        if self.signs_in:
            options |= {
                "sasl_mechanism": self.sasl_mechanism,
                "sasl_plain_username": self.username,
                "sasl_plain_password": self.password,
            }
        if self.security_protocol == "SASL_SSL":
            options["ssl_context"] = create_ssl_context(cafile=self.ssl_cafile)
        return options

    def librdkafka_config(self) -> dict[str, str | int | float | bool]:
        """The same, as librdkafka configuration (confluent_kafka's AdminClient, which provisions users and ACLs)."""
        config: dict[str, str | int | float | bool] = {
            "bootstrap.servers": self.bootstrap_servers,
            "security.protocol": self.security_protocol,
        }
        if self.signs_in:
            config |= {"sasl.mechanism": self.sasl_mechanism, "sasl.username": self.username}
            config["sasl.password"] = self.password
        if self.security_protocol == "SASL_SSL" and self.ssl_cafile:
            config["ssl.ca.location"] = self.ssl_cafile
        return config

    def java_client_properties(self) -> dict[str, str]:
        """The same, for Kafka's own Java tools (ProducerPerformance, ConsumerPerformance: the bench's baselines)."""
        properties = {"bootstrap.servers": self.bootstrap_servers, "security.protocol": self.security_protocol}
        if self.signs_in:
            module = "org.apache.kafka.common.security.scram.ScramLoginModule"
            properties["sasl.mechanism"] = self.sasl_mechanism
            properties["sasl.jaas.config"] = f'{module} required username="{self.username}" password="{self.password}";'
        if self.security_protocol == "SASL_SSL" and self.ssl_cafile:
            properties |= {"ssl.truststore.type": "PEM", "ssl.truststore.location": self.ssl_cafile}
        return properties

    def as_user(self, username: str, password: str) -> "Broker":
        """The same cluster, signed in as another user."""
        return replace(self, username=username, password=password)
