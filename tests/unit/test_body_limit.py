"""The body limit of a path: exact paths, and a route's template with its parameters as path segments."""

from shared.body_limit import BodyLimit


async def _app(scope: object, receive: object, send: object) -> None:  # pragma: no cover - never called
    return None


LIMITS = BodyLimit(_app, default=1, paths={"/report": 5, "/v1/cases/{case_id}/evidence": 9})


def test_an_exact_path_and_a_routes_template_take_their_own_limit() -> None:
    assert LIMITS.limit_for("/report") == 5
    assert LIMITS.limit_for("/v1/cases/7f3c-9/evidence") == 9


def test_a_parameter_is_one_segment_and_everything_else_keeps_the_default() -> None:
    for path in ("/v1/cases/a/b/evidence", "/v1/cases/a/evidence/x", "/v1/cases//evidence", "/v1/cases/a/evidencex"):
        assert LIMITS.limit_for(path) == 1, path
