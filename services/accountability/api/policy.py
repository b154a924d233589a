"""The escalation policy in force (问责升级政策), read-only."""

from fastapi import APIRouter

from services.accountability import schemas
from services.accountability.deps import DepsDep
from shared.auth import STAFF, require

router = APIRouter(prefix="/v1/policy", tags=["policy"], dependencies=[require(*STAFF)])


@router.get("", response_model=schemas.PolicyOut)
async def current_policy(deps: DepsDep) -> schemas.PolicyOut:
    """The escalation policy this instance applies (the shipped default with ACCOUNTABILITY_POLICY laid over it)."""
    return schemas.policy_out(deps.policy)
