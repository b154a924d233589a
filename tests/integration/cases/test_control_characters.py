"""包案领导 and 佐证材料 with a control character: 422 naming the field, never a 500 (issue 12, 17).

The NUL hid behind the 404 of random case ids in `make fuzz`: here the case exists, so the body is read.
"""

import json

from services.cases.main import create_app
from services.cases.settings import CasesSettings
from tests.integration.cases.support import NOT_UPLOADED, five_definitions, open_case
from tests.support.service import running

JSON = {"content-type": "application/json"}


def raw(body: object) -> bytes:
    """The body as json writes it: control characters and lone surrogates escaped, not refused by httpx."""
    return json.dumps(body).encode()


async def test_a_control_character_in_the_leader_or_the_evidence_is_422_naming_the_field(
    settings: CasesSettings,
) -> None:
    async with running(create_app(settings)) as client:
        case_id = await open_case(client, settings)
        base = f"/v1/cases/{case_id}"
        for field, value in (("name", "王建国\u0000"), ("post", "书记\u001b"), ("name", "\udbba")):
            body = five_definitions()
            body["leader"] = {**body["leader"], field: value}
            answer = await client.post(f"{base}/assign", content=raw(body), headers=JSON)
            assert answer.status_code == 422, answer.text
            assert answer.json()["error"]["fields"][0]["field"] == f"leader.{field}"
        assert (await client.post(f"{base}/assign", json=five_definitions())).status_code == 200
        for field in ("description", "file_name"):
            evidence = [NOT_UPLOADED[0] | {field: "after\u0000.jpg"}]
            body = {"summary": "已整改", "evidence": evidence}
            answer = await client.post(f"{base}/request-closure", content=raw(body), headers=JSON)
            assert answer.status_code == 422, answer.text
            assert answer.json()["error"]["fields"][0]["field"] == f"evidence.0.{field}"
        history = (await client.get(f"{base}/history")).json()["events"]
        assert [e["type"] for e in history] == ["CaseOpened", "Assigned"]
