"""The bare-FastAPI baseline of intake's report route: the same body model validated, nothing stored.

    .venv/bin/python -m bench.bare --port 8909    # then wrk -s bench/wrk/report.lua against /v1/reports

One uvicorn worker, as intake runs; no middleware, no token check, no database: what FastAPI and pydantic
cost for this body on this machine, the floor intake's accepted reports/s is measured against.
"""

import argparse
import uuid

import uvicorn
from fastapi import FastAPI, status

from services.intake.schemas import ReportIn


def create_app() -> FastAPI:
    app = FastAPI(title="bare intake baseline")

    @app.post("/v1/reports", status_code=status.HTTP_202_ACCEPTED)
    async def submit_report(report: ReportIn) -> dict[str, str]:
        return {"status": "accepted", "issue_id": str(uuid.uuid4()), "township": report.township}

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8909)
    args = parser.parse_args()
    uvicorn.run(create_app(), host="127.0.0.1", port=args.port, log_config=None, access_log=False)


if __name__ == "__main__":
    main()
