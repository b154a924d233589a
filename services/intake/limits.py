"""How big a body intake takes on each path (how often anyone may submit: services/intake/rate_limit.py).

请求体大小限制: the limit itself is the platform's (shared/body_limit.py), applied by build_app
before anything reads the body. Intake allows more than its JSON limit on two paths: the
public form with its photos, and the inspection's batch upload.
"""

from services.intake.settings import IntakeSettings
from shared.body_limit import MIB


def default_body_limit(settings: IntakeSettings) -> int:
    """Every path but those below: JSON requests."""
    return settings.max_json_bytes


def body_limits(settings: IntakeSettings) -> dict[str, int]:
    """The paths that take more: the report form (every photo at its limit) and a batch file with its framing."""
    return {"/report": settings.max_form_bytes, "/v1/batches": settings.max_batch_bytes + MIB}
