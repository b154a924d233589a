from pathlib import Path

from shared.settings import ServiceSettings


class AccountabilitySettings(ServiceSettings):
    service_name: str = "accountability"
    port: int = 8004
    # ACCOUNTABILITY_POLICY: a TOML file laid over the shipped policy.toml (only the keys it changes).
    accountability_policy: Path | None = None
