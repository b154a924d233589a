from shared.settings import ServiceSettings


class ProjectionsSettings(ServiceSettings):
    service_name: str = "projections"
    port: int = 8005
