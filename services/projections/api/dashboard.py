"""The dashboard (统计大屏): one zh-CN page at `/` and its assets, all from the `dashboard/` folder.

The page works with no internet and needs no token itself (it holds no figures). It signs the person in at the
identity provider with oidc-client-ts (the workbench's library: authorization code with PKCE S256, the realm's
public client), reads the figures from the API with the access token, and renews it with the refresh token;
the session stays in the browser tab (sessionStorage). Where it signs in comes at run time from
`dashboard/config.json`, built from projections' settings (OIDC_ISSUER, DASHBOARD_CLIENT_ID), so another
installation points it elsewhere without a rebuild. No token is ever taken from the address: a `?token=` is
ignored by this route and removed by the page, as is an old link's `#token=`.

ECharts and oidc-client-ts come from npm (`make assets`), installed into that folder's node_modules and served
from there, never from a CDN. The page's Content-Security-Policy lets it talk to this origin and to the realm's
own addresses at the identity provider (metadata, token and renewal), nothing else.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, Response

from services.projections.deps import DepsDep
from services.projections.settings import ProjectionsSettings

FOLDER = Path(__file__).parent.parent / "dashboard"
STATIC = FOLDER / "static"
PACKAGES = FOLDER / "node_modules"
ECHARTS = PACKAGES / "echarts" / "dist" / "echarts.min.js"
OIDC_CLIENT = PACKAGES / "oidc-client-ts" / "dist" / "browser" / "oidc-client-ts.min.js"

# The assets by the name the page asks for: a fixed list, so no request names a path of its own.
ASSETS: dict[str, tuple[Path, str]] = {
    "dashboard.js": (STATIC / "dashboard.js", "text/javascript; charset=utf-8"),
    "dashboard.css": (STATIC / "dashboard.css", "text/css; charset=utf-8"),
    "echarts.min.js": (ECHARTS, "text/javascript; charset=utf-8"),
    "oidc-client-ts.min.js": (OIDC_CLIENT, "text/javascript; charset=utf-8"),
}

MISSING_ASSET = "统计大屏的组件未安装：请在项目目录运行 make assets（从 npm 安装 ECharts 与 oidc-client-ts）后刷新页面"


@dataclass(frozen=True)
class SignIn:
    """Where the page signs in: the realm (its issuer is the authority) and the realm's public client."""

    authority: str
    client_id: str

    @classmethod
    def of(cls, settings: ProjectionsSettings) -> "SignIn":
        """OIDC_ISSUER is checked to fit a policy's source when the settings are read (ProjectionsSettings)."""
        return cls(authority=settings.oidc_issuer.rstrip("/"), client_id=settings.dashboard_client_id)

    @property
    def headers(self) -> dict[str, str]:
        # Scripts and data from this origin, and the realm's addresses (a source ending in / allows the paths under
        # it); sign-in and sign-out are navigations, which need no source. ECharts sets inline styles.
        realm = f"{self.authority}/"
        policy = (
            f"default-src 'none'; script-src 'self'; connect-src 'self' {realm}; img-src 'self' data: blob:; "
            "style-src 'self' 'unsafe-inline'; font-src 'self'; base-uri 'none'; form-action 'none'; "
            "frame-ancestors 'none'"
        )
        return {
            "Content-Security-Policy": policy,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",  # the address carries the authorization code until the page reads it
        }


async def sign_in(deps: DepsDep) -> SignIn:
    return SignIn.of(deps.settings)


SignInDep = Annotated[SignIn, Depends(sign_in)]

router = APIRouter(tags=["dashboard"], include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
async def dashboard_page(where: SignInDep) -> Response:
    """统计大屏, the same for every query: a `?token=` is never read. `no-store`: the page follows new releases."""
    return FileResponse(
        STATIC / "index.html",
        media_type="text/html; charset=utf-8",
        headers={**where.headers, "Cache-Control": "no-store"},
    )


@router.get("/dashboard/config.json")
async def dashboard_config(where: SignInDep) -> Response:
    """The page's run-time configuration, in the workbench's shape (workbench/src/config.ts)."""
    return JSONResponse(
        {"authority": where.authority, "client_id": where.client_id},
        headers={**where.headers, "Cache-Control": "no-store"},
    )


@router.get("/dashboard/{name}")
async def dashboard_asset(name: str, where: SignInDep) -> Response:
    found = ASSETS.get(name)
    if found is None:
        return PlainTextResponse(f"没有这个文件：{name}", status_code=404)
    path, media_type = found
    if not path.is_file():
        return PlainTextResponse(MISSING_ASSET, status_code=503)
    return FileResponse(path, media_type=media_type, headers={**where.headers, "Cache-Control": "no-cache"})
