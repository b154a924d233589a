"""The generations of the read models (读模型版本): which one answers, what rebuilds replayed, the positions."""

from typing import Any

from fastapi import APIRouter

from services.projections import present
from services.projections.deps import Deps, DepsDep
from services.projections.readside import View, read
from services.projections.schemas import Generation, ReadModels
from shared.auth import STAFF, require
from shared.clock import shown

router = APIRouter(prefix="/v1/read-models", tags=["read models"], dependencies=[require(*STAFF)])


async def positions(deps: Deps) -> dict[str, Any]:
    """Up to which offset each partition is applied in the active read models, and the lag behind the log end."""

    async def query(view: View) -> dict[str, Any]:
        return await view.positions()

    return await read(deps, query, tables=False)


@router.get("", response_model=ReadModels, summary="Generations of the read models and their positions")
async def read_models(deps: DepsDep) -> ReadModels:
    """Which generation answers, what rebuilds replayed (events, seconds), and how far the active one has applied."""

    async def query(view: View) -> ReadModels:
        rows = await view.conn.fetch("select * from public.read_model_generations order by generation")
        return await view.answer(
            ReadModels,
            generations=[
                Generation(
                    generation=r["generation"],
                    status=r["status"],
                    consumer=r["consumer"],
                    created_at=shown(r["created_at"]),
                    activated_at=present.when(r["activated_at"]),
                    retired_at=present.when(r["retired_at"]),
                    replayed_events=r["replayed_events"],
                    replay_seconds=r["replay_seconds"],
                )
                for r in rows
            ],
        )

    return await read(deps, query, tables=False)
