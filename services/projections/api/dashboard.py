"""The dashboard (统计大屏): one zh-CN page at `/` and its assets, all from the `dashboard/` folder.

The page works with no internet.

The page and its assets need no token (they hold no figures); the page's script reads the figures
from the API with the bearer token it was given in the address's fragment (`/#token=…`, which browsers
never send to a server, so it reaches no server or proxy log) or in its form, and keeps it for the tab.
A token in the query (`/?token=…`) is ignored by this route and by the script (which asks for a new
one instead): such a link has already carried the token to the server. ECharts comes from npm (`make assets`),
installed into that folder's node_modules and served from there, never from a CDN.
"""

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse, Response

FOLDER = Path(__file__).parent.parent / "dashboard"
STATIC = FOLDER / "static"
ECHARTS = FOLDER / "node_modules" / "echarts" / "dist" / "echarts.min.js"

# Only our own files: scripts and data from this origin; ECharts sets inline styles on its elements.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; connect-src 'self'; img-src 'self' data: blob:; "
    "style-src 'self' 'unsafe-inline'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the page's address may carry the token in its fragment until read
}

# The assets by the name the page asks for: a fixed list, so no request names a path of its own.
ASSETS: dict[str, tuple[Path, str]] = {
    "dashboard.js": (STATIC / "dashboard.js", "text/javascript; charset=utf-8"),
    "dashboard.css": (STATIC / "dashboard.css", "text/css; charset=utf-8"),
    "echarts.min.js": (ECHARTS, "text/javascript; charset=utf-8"),
}

MISSING_ASSET = "图表组件未安装：请在项目目录运行 make assets（从 npm 安装 ECharts）后刷新页面"

router = APIRouter(tags=["dashboard"], include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
async def dashboard_page() -> Response:
    """统计大屏, the same for every query: a `?token=` is never read. `no-store`: the page follows new releases."""
    return FileResponse(
        STATIC / "index.html",
        media_type="text/html; charset=utf-8",
        headers={**SECURITY_HEADERS, "Cache-Control": "no-store"},
    )


@router.get("/dashboard/{name}")
async def dashboard_asset(name: str) -> Response:
    found = ASSETS.get(name)
    if found is None:
        return PlainTextResponse(f"没有这个文件：{name}", status_code=404)
    path, media_type = found
    if not path.is_file():
        return PlainTextResponse(MISSING_ASSET, status_code=503)
    return FileResponse(path, media_type=media_type, headers={**SECURITY_HEADERS, "Cache-Control": "no-cache"})
