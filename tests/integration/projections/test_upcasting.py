"""A 交办 published at schema version 1 (before the leader's 联络渠道) still projects, beside one at version 2.

The records go on the topics as the relays put them: the version-1 one with its stored shape and ce_schemaversion 1
(`AssignedV1`, the code before version 2), so the projections' consumer reads it through the upcaster.
"""

from datetime import timedelta

from bench.county import publish
from services.projections.main import create_app
from services.projections.settings import ProjectionsSettings
from shared.clock import now
from shared.contracts.cases import Assigned, AssignedLeader, AssignedV1, CaseOpened, Leader
from shared.contracts.codes import Source
from shared.envelope import Envelope
from tests.conftest import SettingsFactory
from tests.integration.cases.support import issue_reported
from tests.integration.projections.support import caught_up
from tests.support.service import running


def history(issue_id: str, assigned: Assigned | AssignedV1) -> list[Envelope]:
    """A problem reported, its case opened and assigned ten days ago with a deadline passed two days ago."""
    at = now() - timedelta(days=10)
    reported = issue_reported(issue_id)
    opened = CaseOpened(
        case_id=issue_id,
        source=Source.CENTRAL_INSPECTION,
        title=reported.title,
        township=reported.township,
        domain=reported.domain,
        reported_at=at,
    )
    meta = {"actor": "office:li", "correlation_id": f"corr-{issue_id}"}
    return [
        Envelope.wrap(reported, stream_id=issue_id, stream_version=1, occurred_at=at, **meta),
        Envelope.wrap(opened, stream_id=issue_id, stream_version=1, occurred_at=at, **meta),
        Envelope.wrap(assigned, stream_id=issue_id, stream_version=2, occurred_at=at + timedelta(hours=1), **meta),
    ]


async def test_a_version_1_assignment_projects_as_a_version_2_one_does(
    make_settings: SettingsFactory, topics: list[str]
) -> None:
    settings = make_settings(ProjectionsSettings)
    five = {
        "problem": "河道两岸被挖空",
        "task": "清理采砂设备，恢复河岸",
        "unit": "城关镇人民政府",
        "deadline": now() - timedelta(days=2),
        "measures": "逾期约谈",
    }
    old = history("issue-v1", AssignedV1(**five, leader=Leader(name="王建国", post="城关镇党委书记")))
    new_leader = AssignedLeader(name="李红", post="副县长", liaison="县政府办公室督查科")
    new = history("issue-v2", Assigned(**five, leader=new_leader))
    assert old[2].schema_version == 1 and new[2].schema_version == 2
    await publish(settings, old + new)
    async with running(create_app(settings)) as client:
        await caught_up(client, len(old + new))
        overdue = (await client.get("/v1/cases/overdue")).json()["items"]
        leaders = {i["issue_id"]: i["leader"] for i in overdue}
        assert leaders == {
            "issue-v1": {"name": "王建国", "post": "城关镇党委书记"},
            "issue-v2": {"name": "李红", "post": "副县长"},
        }
        summaries = {}
        for issue_id in ("issue-v1", "issue-v2"):
            events = (await client.get(f"/v1/cases/{issue_id}/timeline")).json()["events"]
            summaries[issue_id] = next(e["summary"] for e in events if e["type"] == "Assigned")
        assert summaries["issue-v1"].startswith("交办城关镇人民政府，包案领导王建国（城关镇党委书记），整改时限")
        assert summaries["issue-v2"].startswith(
            "交办城关镇人民政府，包案领导李红（副县长），联络渠道县政府办公室督查科，整改时限"
        )
