"""举报人信息保密, end to end: names and phones given through every door appear on no topic, in no log line,
in no plain column of intake's database and nowhere in the projections' database.

Intake, cases and projections run as their own processes at DEBUG level, logging to files.
"""

import asyncio
import contextlib
import json
from pathlib import Path

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient

from services.cases.settings import CasesSettings
from services.intake.settings import IntakeSettings
from services.projections.settings import ProjectionsSettings
from shared.auth import Role
from shared.broker import Broker
from shared.contracts.province import ASSIGNMENT_TYPE
from shared.settings import ServiceSettings
from tests.conftest import SettingsFactory
from tests.integration.intake.conftest import PNG, produce
from tests.support.issuer import issue_token
from tests.support.kafka import read_topic
from tests.support.service import free_port, service_processes, staff_client

# Who reported what: (name, phone as typed, phone as stored).
REPORTERS = [
    ("司马青衫", "138 1234 5601", "13812345601"),
    ("欧阳明月", "+86 139-1234-5602", "13912345602"),
    ("诸葛晓岚", "13712345603", "13712345603"),
    ("上官云裳", "0710-3712345", "0710-3712345"),
    ("东方未明", "15912345605", "15912345605"),
]
# Numbers a reporter typed into the text of a report itself: masked before the report leaves intake.
TYPED_IN_TEXT = ["15812345699", "420106198807151234"]
SECRETS = (
    [name for name, _, _ in REPORTERS]
    + [stored for _, _, stored in REPORTERS]
    + [typed for _, typed, _ in REPORTERS]
    + TYPED_IN_TEXT
)
SEALED_COLUMNS = {("reporter_contacts", column) for column in ("name_sealed", "phone_sealed", "text_sealed")}


async def report_through_every_door(url: str) -> tuple[str, str]:
    """Five reporters of one problem (one issue, four repeats) and a refused form, all with names and phones."""
    place = {"township": "城关镇", "domain": "water"}
    async with staff_client(base_url=url, timeout=30) as client:
        (n1, t1, _), (n2, t2, _), (n3, t3, _), (n4, t4, _), (n5, t5, _) = REPORTERS
        form = {
            **place,
            "title": "排污口偷排",
            "description": "夜间排放黑水",
            "address": "城关镇河西村排污口",
            "name": n1,
            "phone": t1,
        }
        first = await client.post("/report", data=form, files=[("photos", ("a.png", PNG, "image/png"))])
        assert first.status_code == 200 and "举报已受理" in first.text
        as_json = await client.post(
            "/report", data={**form, "name": n2, "phone": t2}, headers={"Accept": "application/json"}
        )
        issue_id = as_json.json()["issue_id"]
        assert as_json.json()["status"] == "linked"
        api = await client.post(
            "/v1/reports",
            json={
                **place,
                "source": "media",
                "title": "河水发黑",
                "description": f"河西村河段发黑发臭，排污的是王某（身份证{TYPED_IN_TEXT[1]}，电话{TYPED_IN_TEXT[0]}）",
                "location": {"address": "城关镇 河西村 排污口"},
                "reporter": {"name": n3, "phone": t3},
            },
        )
        call = await client.post(
            "/v1/hotline-calls",
            json={
                **place,
                "line": "hotline_12369",
                "call_ref": "12369-PRIV-1",
                "title": "偷排",
                "description": "来电反映偷排",
                "location": {"address": "城关镇河西村排污口"},
                "caller": {"name": n4, "phone": t4},
            },
        )
        assert {api.json()["issue_id"], call.json()["issue_id"]} == {issue_id}
        refused = await client.post("/report", data={**form, "title": "", "name": n5, "phone": t5})
        assert refused.status_code == 422
        bad_phone = await client.post(
            "/v1/reports",
            json={
                **place,
                "source": "media",
                "title": "t",
                "description": "d",
                "reporter": {"name": n5, "phone": "12" + t5},
            },
        )
        assert bad_phone.status_code == 422
        operator = {"Authorization": f"Bearer {issue_token(IntakeSettings(), subject='op1', role=Role.OPERATOR)}"}
        read = await client.get(f"/v1/reports/{issue_id}/contacts", headers=operator)
        assert sorted(c["phone"] for c in read.json()["contacts"]) == sorted(stored for _, _, stored in REPORTERS[:4])
        [original] = [c["original_text"] for c in read.json()["contacts"] if c["original_text"]]
        assert all(number in original["description"] for number in TYPED_IN_TEXT)
    return issue_id, read.text


def found_in(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


async def topic_texts(broker: Broker, prefix: str) -> dict[str, str]:
    admin = AIOKafkaAdminClient(**broker.client_options())
    await admin.start()
    try:
        names = sorted(t for t in await admin.list_topics() if t.startswith(prefix))
    finally:
        await admin.close()
    texts = {}
    for name in names:
        parts = []
        for record in await read_topic(broker, name):
            parts += [(record.key or b"").decode(errors="replace"), (record.value or b"").decode(errors="replace")]
            parts += [v.decode(errors="replace") for _, v in record.headers]
            # JSON values escape nothing we look for (ensure_ascii=False), but decode them too in case one does.
            with contextlib.suppress(ValueError):
                parts.append(json.dumps(json.loads(record.value or b"null"), ensure_ascii=False))
        texts[name] = "\n".join(parts)
    return texts


async def database_texts(settings: ServiceSettings, *, skip: set[tuple[str, str]] = set()) -> dict[str, str]:  # noqa: B006
    """Every column of every table of the service's database, as text."""
    conn = await asyncpg.connect(settings.database_dsn)
    try:
        columns = await conn.fetch(
            """select c.table_schema, c.table_name, c.column_name
                 from information_schema.columns c
                 join information_schema.tables t using (table_schema, table_name)
                where t.table_type = 'BASE TABLE' and c.table_schema not in ('pg_catalog', 'information_schema')"""
        )
        texts = {}
        for c in columns:
            if (c["table_name"], c["column_name"]) in skip:
                continue
            rows = await conn.fetch(
                f'select "{c["column_name"]}"::text as v from "{c["table_schema"]}"."{c["table_name"]}"'
            )
            texts[f"{c['table_schema']}.{c['table_name']}.{c['column_name']}"] = "\n".join(r["v"] or "" for r in rows)
        return texts
    finally:
        await conn.close()


async def test_no_reporter_name_or_phone_is_on_any_topic_log_or_read_model(
    make_settings: SettingsFactory, topics: list[str], tmp_path: Path
) -> None:
    intake = make_settings(IntakeSettings, port=free_port(), log_level="DEBUG")
    cases = make_settings(CasesSettings, port=free_port(), log_level="DEBUG")
    projections = make_settings(ProjectionsSettings, port=free_port(), log_level="DEBUG")
    services = (("services.intake", intake), ("services.cases", cases), ("services.projections", projections))
    async with service_processes(*services, log_dir=str(tmp_path)) as (i, _, p):
        issue_id, contacts = await report_through_every_door(i.url)
        assignment = {
            "reference": "SJ-PRIV-1",
            "problem": "省平台交办：排污口偷排",
            "township": "城关镇",
            "domain": "water",
            "address": "城关镇河西村排污口",
        }
        headers = [
            ("ce_specversion", b"1.0"),
            ("ce_id", b"p-1"),
            ("ce_source", b"/province"),
            ("ce_type", ASSIGNMENT_TYPE.encode()),
            ("content-type", b"application/json"),
        ]
        await produce(
            intake.broker,
            intake.topic("province.inbound"),
            [(None, json.dumps(assignment, ensure_ascii=False).encode(), headers)],
        )
        async with staff_client(base_url=p.url) as client:
            # The projections have applied the issue and its repeats (the province's 交办 among them) before we look.
            deadline = asyncio.get_running_loop().time() + 20
            while True:
                timeline = await client.get(f"/v1/cases/{issue_id}/timeline")
                types = [e["type"] for e in timeline.json().get("events", [])] if timeline.status_code == 200 else []
                if types.count("DuplicateReportLinked") == 4 and "CaseOpened" in types:
                    break
                assert asyncio.get_running_loop().time() < deadline, f"projections never caught up: {timeline.text}"
                await asyncio.sleep(0.2)
        topic_scan = await topic_texts(intake.broker, intake.topic_prefix)
        intake_scan = await database_texts(intake, skip=SEALED_COLUMNS)
        sealed = await database_texts(intake)
        projection_scan = await database_texts(projections)
        case_scan = await database_texts(cases)
    logs = {path.name: path.read_text(encoding="utf-8", errors="replace") for path in tmp_path.glob("*.log")}

    # The scan can see what it looks for: the operator's read shows the four reporters' names and phones.
    assert set(found_in(contacts)) >= {name for name, _, _ in REPORTERS[:4]} | {p for _, _, p in REPORTERS[:4]}
    assert topic_scan[intake.own_topic].count("DuplicateReportLinked") >= 4  # the scan did read the events
    assert any(issue_id in text for text in projection_scan.values())
    assert "DuplicateReportLinked" in intake_scan["public.events.type"]
    assert len(logs) == 3 and all(logs.values()), "every service wrote its log"
    leaks = {
        **{f"topic {name}": found_in(text) for name, text in topic_scan.items()},
        **{f"log {name}": found_in(text) for name, text in logs.items()},
        **{f"intake {column}": found_in(text) for column, text in intake_scan.items()},
        **{f"projections {column}": found_in(text) for column, text in projection_scan.items()},
        **{f"cases {column}": found_in(text) for column, text in case_scan.items()},
        **{
            f"sealed intake {column}": found_in(sealed[f"public.{table}.{column}"])
            for table, column in sorted(SEALED_COLUMNS)
        },
    }
    assert {where: secrets for where, secrets in leaks.items() if secrets} == {}
