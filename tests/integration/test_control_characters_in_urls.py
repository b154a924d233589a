"""A control character in a URL's path or query is a 422 naming the parameter in every service, never a 500: the
requests `make fuzz` found answering 500 (PostgreSQL cannot hold a NUL), sent to the services themselves."""

from typing import Any

import pytest

from services.accountability.main import create_app as accountability_app
from services.accountability.settings import AccountabilitySettings
from services.cases.main import create_app as cases_app
from services.cases.settings import CasesSettings
from services.enforcement.main import create_app as enforcement_app
from services.enforcement.settings import EnforcementSettings
from tests.conftest import SettingsFactory
from tests.support.service import running

SERVICES: dict[str, tuple[Any, Any, list[tuple[str, str]]]] = {
    "cases": (
        cases_app,
        CasesSettings,
        [("/v1/cases?township=a%00b", "query.township"), ("/v1/cases?unit=a%00b", "query.unit")],
    ),
    "accountability": (
        accountability_app,
        AccountabilitySettings,
        [("/v1/measures?unit=a%00b", "query.unit"), ("/v1/units/a%00b/record", "path.unit")],
    ),
    "enforcement": (
        enforcement_app,
        EnforcementSettings,
        [
            ("/v1/enforcement-cases?enterprise=a%00b", "query.enterprise"),
            ("/v1/enforcement-cases/x%07y", "path.case_id"),
        ],
    ),
}


@pytest.mark.parametrize("service", SERVICES)
async def test_a_control_character_in_the_url_is_refused_naming_where(
    service: str, make_settings: SettingsFactory, topics: list[str]
) -> None:
    create_app, settings_cls, requests = SERVICES[service]
    async with running(create_app(make_settings(settings_cls))) as client:
        for url, field in requests:
            answer = await client.get(url)
            assert answer.status_code == 422, (url, answer.text)
            error = answer.json()["error"]
            assert error["code"] == "invalid_request" and [f["field"] for f in error["fields"]] == [field]
            assert "控制字符" in error["fields"][0]["message"]
        # The same parameters without one are answered as before.
        clean = requests[0][0].replace("%00", "")
        assert (await client.get(clean)).status_code == 200
