"""`python -m demo`: play a simulated county year against a running stack, then print the dashboard's address.

The services are found at the `make up` ports unless told otherwise (`--intake URL`…, or the environment's
DEMO_INTAKE_URL…). When the default stack is not up, `make up` starts it. Its people sign in through Keycloak
(OIDC_ISSUER, default `make up`'s) as the development users `make up` created (shared/signin.py); the demo adds
one for each responsible unit of its county first (shared/identity.py: development only, on this machine only).
"""

import argparse
import asyncio
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from demo.client import County, DemoError, People, Urls
from demo.plan import plan_year
from demo.play import Pace, Player
from demo.province import province
from shared import identity, stack_keys
from shared.auth import Role
from shared.clock import SHANGHAI, now
from shared.signin import SignInSettings, signed_in
from shared.stack_keys import use_stack_keys

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URLS = Urls(
    intake="http://127.0.0.1:8001",
    cases="http://127.0.0.1:8002",
    enforcement="http://127.0.0.1:8003",
    accountability="http://127.0.0.1:8004",
    projections="http://127.0.0.1:8005",
)
PROXY_DASHBOARD = "http://127.0.0.1:8000/dashboard/"


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m demo", description="模拟一个县一年的问题整改闭环（只经各服务的 HTTP 接口）"
    )
    for name, url in DEFAULT_URLS.all().items():
        env = f"DEMO_{name.upper()}_URL"
        parser.add_argument(f"--{name}", default=os.environ.get(env, url), help=f"{name} 服务地址（或 {env}）")
    parser.add_argument("--problems", type=int, default=300, help="问题数（默认 300）")
    parser.add_argument("--seed", type=int, default=2026, help="随机种子：同一种子演出同一年")
    parser.add_argument("--month-seconds", type=float, default=5.0, help="模拟一个月用几秒（默认 5）")
    parser.add_argument("--deadline-seconds", type=float, default=4.0, help="要超期的时限设在几秒后（默认 4）")
    parser.add_argument("--concurrency", type=int, default=12, help="同时进行的请求数（默认 12）")
    parser.add_argument("--no-up", action="store_true", help="服务未就绪时不运行 make up")
    parser.add_argument(
        "--topic-prefix",
        default=os.environ.get("TOPIC_PREFIX", ""),
        help="各服务的 Kafka 主题前缀（或 TOPIC_PREFIX）：演示以省级平台身份在 province.inbound 上答复复核",
    )
    return parser.parse_args(argv)


async def ready(client: httpx.AsyncClient, urls: Urls) -> list[str]:
    """The services that do not answer /readyz with 200."""

    async def check(name: str, url: str) -> str | None:
        try:
            response = await client.get(f"{url}/readyz", timeout=3)
        except httpx.HTTPError:
            return name
        return None if response.status_code == 200 else name

    found = await asyncio.gather(*(check(name, url) for name, url in urls.all().items()))
    return [name for name in found if name]


async def ensure_up(client: httpx.AsyncClient, urls: Urls, may_start: bool) -> None:
    down = await ready(client, urls)
    if not down:
        return
    if not may_start or urls != DEFAULT_URLS:
        raise DemoError(f"服务未就绪：{'、'.join(down)}。请先启动它们（make up），或检查地址参数")
    print(f"服务未就绪（{'、'.join(down)}），正在运行 make up …", flush=True)
    # make up decides its own environment: ENVIRONMENT=development (the demo's, for its unit users) stays here.
    env = {name: value for name, value in os.environ.items() if name != "ENVIRONMENT"}
    subprocess.run(["make", "up"], cwd=ROOT, check=True, env=env)


async def caught_up(
    client: httpx.AsyncClient, urls: Urls, auth: httpx.Auth, total: int, timeout: float = 120
) -> dict[str, Any]:
    """Waits until projections counts `total` problems and has applied every event published (twice the same)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        answer = (await client.get(f"{urls.projections}/v1/stats/closure-rates", auth=auth)).json()
        positions = answer["positions"]
        lags = [p["lag"] for topic in positions.values() for p in topic.values()]
        if answer["totals"]["total"] >= total and all(lag == 0 for lag in lags) and positions == last:
            return dict(answer["totals"])
        if time.monotonic() > deadline:
            raise DemoError(f"统计服务 {timeout:.0f} 秒内未追上全部事件：{positions}")
        last = positions
        await asyncio.sleep(1.5)


def dashboard_addresses(urls: Urls) -> list[str]:
    """Where the dashboard signs in: the one address's /dashboard/ and projections' own root, which the realm allows
    as redirects; elsewhere only projections' root (its realm must allow it)."""
    own = f"{urls.projections.rstrip('/')}/"
    return [PROXY_DASHBOARD, own] if urls == DEFAULT_URLS else [own]


def ensure_unit_users(sign_in: SignInSettings, units: set[str]) -> None:
    """A development user for each unit of the simulated county, as `make up` makes those of DEV_UNITS."""
    base_url = sign_in.oidc_issuer.rstrip("/").removesuffix(f"/realms/{identity.REALM}")
    why_not = identity.refusal(os.environ.get("ENVIRONMENT", "production"), base_url)
    if why_not:
        raise DemoError(why_not)
    admin_password = os.environ.get("KEYCLOAK_ADMIN_PASSWORD") or stack_keys.read().get("KEYCLOAK_ADMIN_PASSWORD")
    if not admin_password:
        raise DemoError("KEYCLOAK_ADMIN_PASSWORD 未设置 / is not set (.run/secrets.env: make up)")
    users = [identity.unit_user(unit) for unit in sorted(units)]
    identity.ensure_dev_users(base_url, admin_password, sign_in.dev_users_file, users)


def people(sign_in: SignInSettings) -> People:
    """The development users of make up's Keycloak, one per role (and unit), each keeping its token fresh."""
    return lambda role, unit: signed_in(role, unit, sign_in)


async def run(args: argparse.Namespace) -> None:
    urls = Urls(args.intake, args.cases, args.enforcement, args.accountability, args.projections)
    sign_in = SignInSettings()
    viewer = signed_in(Role.VIEWER, settings=sign_in)
    async with httpx.AsyncClient(timeout=30) as client:
        await ensure_up(client, urls, may_start=not args.no_up)
        before = (await client.get(f"{urls.projections}/v1/stats/closure-rates", auth=viewer)).json()["totals"]
        year = plan_year(args.seed, args.problems, run=secrets.token_hex(2).upper())
        await asyncio.to_thread(ensure_unit_users, sign_in, {problem.unit for problem in year.problems})
        print(
            f"模拟一年：{len(year.problems)}个问题、{len(year.enforcement)}起执法案件、{len(year.measures)}项问责措施；"
            f"每月{args.month_seconds:g}秒（批次 {year.run}）",
            flush=True,
        )
        started = time.monotonic()
        async with province(args.topic_prefix) as level_above:
            player = Player(
                County(urls, people(sign_in), client, args.concurrency),
                year,
                Pace(args.month_seconds, args.deadline_seconds),
                level_above,
            )
            await player.play()
        played = time.monotonic() - started
        totals = await caught_up(client, urls, viewer, before["total"] + player.tally.reported)
        summary = (await client.get(f"{urls.projections}/v1/reports/work-summary", auth=viewer)).json()
        forces = (await client.get(f"{urls.projections}/v1/stats/task-forces", auth=viewer)).json()
        saved = await save_documents(client, urls, viewer)
    t = player.tally
    waiting = "本栈公示期长于演示等待，期满后在工作台“销号程序”中确认"
    in_notice = f"公示中{t.in_notice}个（{waiting}），" if t.in_notice else ""
    print(
        f"完成：{played:.0f}秒内发出{player.county.requests}个请求；受理{t.reported}个问题，交办{t.assigned}个，"
        f"销号{t.closed}次（验收不通过{t.rejected}次），超期{t.missed}次，回头看{t.reopened}个；"
        f"销号程序：{in_notice}公示异议{t.objections}件，上级复核{t.reviewed}次（不通过{t.review_rejected}次），"
        f"待上级复核{t.in_review}个，报备{t.filed}个；"
        f"执法立案{t.enforcement_cases}起；问责措施{t.measures}项（撤销{t.revoked}项）；督查文书{t.documents}份。"
    )
    print(
        f"全县问题{totals['total']}个，已销号{totals['closed']}个，完成率{totals['rate_percent']}%，超期{totals['overdue']}个。"
    )
    print("\n".join(summary.get("paragraphs", [])))
    print(task_forces_line(forces))
    print("\n" + "\n".join(saved))
    who = "以 dev-viewer（查看人员）或 dev-leader（县领导）登录"
    print(f"\n统计大屏：在浏览器中打开，{who}")
    for address in dashboard_addresses(urls):
        print(f"  {address}")
    print(f"\n信息公开（无需登录，手机可读）：{PROXY_DASHBOARD.removesuffix('dashboard/')}public/")
    print_workbench(sign_in)


def task_forces_line(forces: dict[str, Any]) -> str:
    """专项整治组 in one line: each task force's cases, its rate and its overdue cases."""
    rows = [
        f"{r['name']}{r['total']}个（完成率{r['rate_percent']}%，超期{r['overdue']}个）" for r in forces.get("rows", [])
    ]
    return "专项整治组：" + "；".join(rows) + "。"


async def save_documents(client: httpx.AsyncClient, urls: Urls, viewer: httpx.Auth) -> list[str]:
    """The work report, the year's first 交办函 and its latest 督查通报 as Word documents under .run/: a line each."""
    year = now().astimezone(SHANGHAI).year
    wanted = [("工作汇报（含附表和图表）", "/v1/reports/work-summary.docx", "工作汇报.docx")]
    letters = await client.get(
        f"{urls.projections}/v1/documents/assignment-letters", params={"year": year, "limit": 1}, auth=viewer
    )
    if letters.status_code == 200 and letters.json()["items"]:
        letter_no = letters.json()["items"][0]["content"]["letter_no"]
        wanted.append((letter_no, f"/v1/documents/assignment-letters/{quote(letter_no)}.docx", f"{letter_no}.docx"))
    bulletins = await client.get(f"{urls.projections}/v1/documents/bulletins", params={"year": year}, auth=viewer)
    if bulletins.status_code == 200 and bulletins.json()["items"]:
        number = bulletins.json()["items"][-1]["content"]["number"]
        path = f"/v1/documents/bulletins/{year}/{number}.docx"
        wanted.append((f"督查通报{year}年第{number}期", path, f"督查通报-{year}年第{number}期.docx"))
    out = ROOT / ".run" / "documents"
    out.mkdir(parents=True, exist_ok=True)
    lines = []
    for title, path, file_name in wanted:
        started = time.monotonic()
        answer = await client.get(f"{urls.projections}{path}", auth=viewer)
        took = time.monotonic() - started
        if answer.status_code != 200:
            lines.append(f"{title}（Word）未能生成：HTTP {answer.status_code}")
            continue
        saved = out / file_name
        saved.write_bytes(answer.content)
        lines.append(f"{title}（Word）：{saved}（{len(answer.content) / 1024:.0f} KB，生成用时{took:.2f}秒）")
    return lines


def print_workbench(sign_in: SignInSettings) -> None:
    """Where the people of the loop work, and who they can sign in as here (development users, make up)."""
    workbench = PROXY_DASHBOARD.removesuffix("dashboard/")
    passwords = identity.read_passwords(sign_in.dev_users_file)
    print(f"\n工作台：{workbench}")
    print(f"开发用户（仅本机开发环境；用户名、密码、岗位；密码保存在 {sign_in.dev_users_file}）：")
    print("\n".join(identity.listing(identity.dev_users(), passwords)))


def main(argv: list[str] | None = None) -> None:
    args = arguments(argv)
    # The stack's key; when the demo may run `make up`, it is generated now if this install has none yet.
    use_stack_keys(create=not args.no_up)
    try:
        asyncio.run(run(args))
    except DemoError as exc:
        print(f"演示中止：{exc}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
