"""信息公开: the public page (`/public/`) and the JSON it reads (`/v1/public/…`), with no token.

Anyone may read, per inspection batch and per source, the problems with township, domain, responsible unit,
deadline, status and, once closed, the rectification result; and the cases in 公示, to which anyone may object
(the objection goes to intake, `POST /v1/public/objections`). Only public fields leave (read_tables/public.py);
a case a unit withheld is never listed. The answers carry no positions: offsets are not the public's business.
"""

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse, PlainTextResponse, Response

from services.projections import labels
from services.projections.deps import DepsDep
from services.projections.filters import TEXT
from services.projections.read_tables import public
from services.projections.readside import View, read
from services.projections.schemas import PublicFacet, PublicNotice, PublicNotices, PublicProblem, PublicProblems
from shared.clock import shown
from shared.contracts.codes import Source

FOLDER = Path(__file__).parent.parent / "public"

# The page's files by the name it asks for: a fixed list, so no request names a path of its own.
ASSETS: dict[str, tuple[Path, str]] = {
    "public.js": (FOLDER / "public.js", "text/javascript; charset=utf-8"),
    "public.css": (FOLDER / "public.css", "text/css; charset=utf-8"),
}

# This origin only: the page reads projections' API and posts objections to intake through the one address.
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

OBJECTION_NOTE = "公示期内对整改结果有异议的，可在此提出；异议将转督察办核查。请勿填写个人信息。"

router = APIRouter(tags=["public"])


def _problem(row: Any) -> dict[str, Any]:
    return {
        "case_id": row["issue_id"],
        "title": row["title"],
        "source": row["source"],
        "source_label": labels.source(row["source"]),
        "batch": row["batch"],
        "township": row["township"],
        "domain": row["domain"],
        "domain_label": labels.domain(row["domain"]),
        "unit": row["unit"] or None,
        "deadline": shown(row["deadline"]) if row["deadline"] else None,
        "status": row["status"],
        "status_label": labels.status(row["status"]),
        "closed_at": shown(row["closed_at"]) if row["status"] == "closed" and row["closed_at"] else None,
        "result_summary": row["result_summary"],
    }


@router.get("/v1/public/problems", response_model=PublicProblems, summary="信息公开: the published problems")
async def public_problems(
    deps: DepsDep,
    source: Source | None = None,
    batch: Annotated[
        str | None, Query(max_length=100, pattern=TEXT, description="督察批次; empty: without batch")
    ] = None,
    page: Annotated[int, Query(ge=1, le=public.MAX_PAGE)] = 1,
) -> PublicProblems:
    """The latest reported first, PAGE_SIZE a page; 422 naming the parameter for an unknown source or a bad page."""
    filters = public.ProblemFilters(source=source.value if source else None, batch=batch)

    async def query(view: View) -> PublicProblems:
        total, rows = await public.problems(view.conn, filters, page)
        sources, batches = await public.facets(view.conn)
        return PublicProblems(
            total=total,
            page=page,
            page_size=public.PAGE_SIZE,
            pages=min(public.MAX_PAGE, -(-total // public.PAGE_SIZE)),
            items=[PublicProblem(**_problem(r)) for r in rows],
            sources=[PublicFacet(key=r["key"], label=labels.source(r["key"]), total=r["total"]) for r in sources],
            batches=[PublicFacet(key=r["key"], label=r["key"], total=r["total"]) for r in batches],
        )

    return await read(deps, query)


@router.get("/v1/public/notices", response_model=PublicNotices, summary="信息公开: the cases in 公示")
async def public_notices(deps: DepsDep) -> PublicNotices:
    async def query(view: View) -> PublicNotices:
        rows = await public.notices(view.conn)
        items = [
            PublicNotice(
                **_problem(r),
                notice_starts_at=shown(r["notice_starts_at"]) if r["notice_starts_at"] else None,
                notice_ends_at=shown(r["notice_ends_at"]) if r["notice_ends_at"] else None,
                notice_summary=r["notice_summary"],
            )
            for r in rows
        ]
        return PublicNotices(total=len(items), items=items, objection_note=OBJECTION_NOTE)

    return await read(deps, query)


@router.get("/public/", include_in_schema=False)
async def public_page() -> Response:
    """The page, the same for everyone; `no-store` so it follows new releases."""
    return FileResponse(
        FOLDER / "index.html", media_type="text/html; charset=utf-8", headers={**HEADERS, "Cache-Control": "no-store"}
    )


@router.get("/public/{name}", include_in_schema=False)
async def public_asset(name: str) -> Response:
    found = ASSETS.get(name)
    if found is None:
        return PlainTextResponse(f"没有这个文件：{name}", status_code=404)
    path, media_type = found
    return FileResponse(path, media_type=media_type, headers={**HEADERS, "Cache-Control": "no-cache"})
