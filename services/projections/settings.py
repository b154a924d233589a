import re
from pathlib import Path

from pydantic import Field, field_validator

from shared.settings import ServiceSettings

# The realm's address as the dashboard's Content-Security-Policy names it (connect-src): http(s), a host and a
# path of plain characters; a space, quote, comma or semicolon would end the source or the directive.
POLICY_SOURCE = re.compile(r"https?://[A-Za-z0-9.\-\[\]:]+(/[A-Za-z0-9._~%-]+)*/?")


class ProjectionsSettings(ServiceSettings):
    service_name: str = "projections"
    port: int = 8005
    # The realm's public client the dashboard signs in with (authorization code with PKCE), at OIDC_ISSUER;
    # the dashboard's config.json hands both to the page, so another installation changes them without a rebuild.
    dashboard_client_id: str = Field(default="workbench", pattern=r"^[A-Za-z0-9._-]{1,64}$")
    # How long the live consumer lets records gather after each batch (ConsumerRunner's gather_ms): the figures
    # count an event up to that much later, in fewer transactions per event under load. 0: none.
    live_gather_ms: int = Field(default=0, ge=0, le=1000)
    # The broker holds the live consumer's fetch until this many bytes of events have gathered or this long has
    # passed (aiokafka's fetch_min_bytes, fetch_max_wait_ms): at a few events per second the figures count an event up
    # to that much later in one transaction for many; under load the bytes are there at once and nothing waits.
    live_fetch_min_bytes: int = Field(default=32 * 1024, ge=1, le=16 * 1024 * 1024)
    live_fetch_wait_ms: int = Field(default=250, ge=0, le=1000)
    # 专项整治组 (task_forces.toml replaced whole by this file) and 绩效考核 (assessment.toml, this file's keys laid
    # over it): read and checked when the service starts.
    task_forces_file: Path | None = None
    assessment_policy: Path | None = None
    # The CJK font (TrueType/OpenType or a collection) the documents' charts are drawn with; unset: the first of
    # documents/charts.py's Debian fonts installed (make install installs fonts-wqy-microhei when none is).
    chart_font: Path | None = None

    @field_validator("oidc_issuer")
    @classmethod
    def issuer_fits_the_dashboards_policy(cls, value: str) -> str:
        if not POLICY_SOURCE.fullmatch(value):
            raise ValueError(
                "OIDC_ISSUER 须为身份认证服务领域的 http(s) 地址（不含空格、引号、逗号或分号），"
                "统计大屏的内容安全策略要写入它。"
                " OIDC_ISSUER must be the realm's http(s) address without spaces, quotes, commas or semicolons:"
                " the dashboard's Content-Security-Policy names it."
            )
        return value
