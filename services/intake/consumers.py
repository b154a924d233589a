"""Events intake reacts to: the province's 交办 in, the cases' progress (for duplicates and the province), every
service's checkpoints (on to the province), and its own erasures read back (after a restore of a backup)."""

from services.intake import privacy
from services.intake.deps import Deps
from services.intake.province_inbound import ProvinceInbound, decode_inbound
from services.intake.province_outbound import CHANGES, ProvinceOutbound
from shared.audit.reads import topic_of
from shared.consumer import ConsumerRunner, Dispatch, On
from shared.contracts.audit import CheckpointSigned, ContactErased
from shared.contracts.province import ProvinceAssignment, ProvinceReviewed


def province_assignments(inbound: ProvinceInbound) -> Dispatch:
    """省级平台交办: each becomes a report."""
    return Dispatch(On(ProvinceAssignment, inbound.on_assignment), On(ProvinceReviewed, inbound.on_review))


def case_progress(outbound: ProvinceOutbound) -> Dispatch:
    """Every case event the province hears of: the issue's status follows it, and the province is told."""
    return Dispatch(*(On(event, outbound.on_case_event) for event in CHANGES))


def checkpoints(outbound: ProvinceOutbound) -> Dispatch:
    """Every service's signed checkpoint (审计检查点): on to the province."""
    return Dispatch(On(CheckpointSigned, outbound.on_checkpoint))


def erasures() -> Dispatch:
    """依申请删除 read back from intake's audit topic: in force again if a restored backup brought the key back."""
    return Dispatch(On(ContactErased, privacy.reapply_erasure))


def consumers(deps: Deps) -> list[ConsumerRunner]:
    settings = deps.settings
    return [
        # The province's records are its own CloudEvents, read by decode_inbound; poison goes to the DLQ.
        ConsumerRunner(
            settings,
            deps.pool,
            name="province-inbound",
            topics=[settings.topic("province.inbound")],
            handler=province_assignments(deps.province_inbound),
            decode=decode_inbound,
        ),
        ConsumerRunner(
            settings,
            deps.pool,
            name="case-progress",
            topics=[settings.topic("cases.events")],
            handler=case_progress(deps.province_outbound),
            batch_handler=deps.province_outbound.on_case_events,
            gather_ms=deps.settings.background_gather_ms,
        ),
        ConsumerRunner(
            settings,
            deps.pool,
            name="checkpoints",
            topics=[settings.topic("audit.checkpoints")],
            handler=checkpoints(deps.province_outbound),
            gather_ms=deps.settings.background_gather_ms,
        ),
        ConsumerRunner(
            settings,
            deps.pool,
            name="erasures",
            topics=[settings.topic(topic_of("intake"))],
            handler=erasures(),
            gather_ms=deps.settings.background_gather_ms,
        ),
    ]
