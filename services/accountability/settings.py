from shared.settings import ServiceSettings


class AccountabilitySettings(ServiceSettings):
    service_name: str = "accountability"
    port: int = 8004
