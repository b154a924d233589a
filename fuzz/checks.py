"""Two checks of our own, registered with schemathesis as hooks (SCHEMATHESIS_HOOKS=fuzz.checks) and chosen by name
with `--checks`; the built-in ones (not_a_server_error, response_schema_conformance) run beside them.

- `control_characters_refused`: every text a person types refuses control characters (shared.contracts.base,
  422 naming the field), but the OpenAPI documents cannot say so, so schemathesis's own negative checks never
  look. A request whose body holds one, at any depth, must not get past validation: no 2xx, and no 409 either
  (a 409 comes from the rules, which run only on a body that was accepted). Whitespace that the text types trim
  before they check (a leading form feed) is not counted: it is gone before anything is stored.
- `refused_to_role`: a role that may not send the command (or a unit on another unit's case) neither gets it done
  nor reaches its rules: no 2xx and no 409. 401/403/404 are the refusals; 422 is allowed too, because a refusal
  that depends on the case (a unit's own cases, a measure's authority) is decided after the body is validated,
  and so is a 409 `version_conflict`: a stale If-Match is answered before the command is decided, by any caller.
"""

from typing import Any

import schemathesis

from shared.contracts.base import has_control_characters

# Past validation: the command was done (2xx) or reached the rules of the current state (409).
ACCEPTED_BODY = 409
# What pydantic's `strip_whitespace` trims (Unicode White_Space), control characters among it.
WHITE_SPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000"
)


def _passed_validation(status: int) -> bool:
    return 200 <= status < 300 or status == ACCEPTED_BODY


Schema = dict[str, Any]


def _alternatives(schema: Schema, root: Schema) -> list[Schema]:
    """The schema and every schema it may be (its $ref resolved, anyOf/oneOf/allOf unfolded)."""
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        return _alternatives(target, root) if isinstance(target, dict) else []
    found = [schema]
    for keyword in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(keyword, []):
            found += _alternatives(sub, root)
    return found


def texts_with_control_characters(value: Any, schema: Schema, root: Schema, where: str = "") -> list[str]:
    """The paths (`leader.name`, `evidence.0.file_name`) of the declared strings holding a control character.

    Only what the schema declares: a property it does not name is ignored or refused by the service, never stored.
    """
    if isinstance(value, str):
        return [where or "(body)"] if has_control_characters(value.strip(WHITE_SPACE)) else []
    alternatives = _alternatives(schema, root)
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            declared = [a["properties"][key] for a in alternatives if key in a.get("properties", {})]
            if declared:
                found += texts_with_control_characters(item, declared[0], root, f"{where}.{key}".lstrip("."))
    elif isinstance(value, list):
        declared = [a["items"] for a in alternatives if isinstance(a.get("items"), dict)]
        if declared:
            for index, item in enumerate(value):
                found += texts_with_control_characters(item, declared[0], root, f"{where}.{index}".lstrip("."))
    return found


@schemathesis.check
def control_characters_refused(ctx: Any, response: Any, case: Any) -> bool | None:
    fields: list[str] = []
    if isinstance(case.body, dict | list):
        # The body's schema as the service's own OpenAPI document declares it (schemathesis keeps it as loaded).
        root = case.operation.schema.raw_schema
        operation = root.get("paths", {}).get(case.operation.path, {}).get(case.method.lower(), {})
        content = operation.get("requestBody", {}).get("content", {}).get(case.media_type or "application/json", {})
        fields = texts_with_control_characters(case.body, content.get("schema", {}), root)
    if fields and _passed_validation(response.status_code):
        raise AssertionError(
            f"a control character in {', '.join(fields)} was accepted: {response.status_code} instead of 422"
        )
    return None


def _error_code(response: Any) -> str | None:
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return None
    return error.get("code") if isinstance(error, dict) else None


@schemathesis.check
def refused_to_role(ctx: Any, response: Any, case: Any) -> bool | None:
    if _passed_validation(response.status_code) and _error_code(response) != "version_conflict":
        raise AssertionError(
            f"a role that may not send this command got {response.status_code} instead of a refusal (401/403/404)"
        )
    return None
