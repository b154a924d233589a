"""Records a sample message for every event type and schema version that has none yet.

    .venv/bin/python -m tests.contracts.record_samples

Two samples per (type, version): `<Type>.v<N>.json` with every field filled and
`<Type>.v<N>.minimal.json` with the required fields only. A recorded sample is never
rewritten: it stands for the messages already on the topics, which the code must
keep reading (a breaking change is a new schema_version with an upcaster).
Values come from each payload's JSON schema, deterministically.
"""

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from shared.contracts import EVENT_TYPES, Event

SAMPLES = Path(__file__).parent / "samples"
MOMENT = "2026-06-30T08:00:00+08:00"

# Patterns of the contracts, each with a value that matches it (and its check digit, where there is one).
PATTERN_EXAMPLES = {
    r"^[0-9a-f]{64}$": "3b7d4e8f" * 8,
    r"^[A-Za-z0-9+/]{43}=$": "O31Oj" * 8 + "O30=",
    r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$": "91420100MA4KL0B318",
}


class UnknownPattern(LookupError):
    pass


def _resolve(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = defs[node["$ref"].rsplit("/", 1)[-1]]
    return node


def example(node: dict[str, Any], defs: dict[str, Any], *, full: bool, name: str = "") -> Any:
    node = _resolve(node, defs)
    if "anyOf" in node:
        options = [o for o in node["anyOf"] if o.get("type") != "null"]
        return example(options[0], defs, full=full, name=name)
    if "const" in node:
        return node["const"]
    if "enum" in node:
        return node["enum"][0]
    kind = node.get("type")
    if kind == "object":
        required = set(node.get("required", ()))
        return {
            key: example(sub, defs, full=full, name=key)
            for key, sub in node.get("properties", {}).items()
            if full or key in required
        }
    if kind == "array":
        count = max(node.get("minItems", 1), 1)
        return [example(node.get("items", {}), defs, full=full, name=name) for _ in range(count)]
    if kind == "string":
        return _string(node, name)
    if kind == "integer":
        low = node.get("minimum", node.get("exclusiveMinimum", 0) + 1 if "exclusiveMinimum" in node else 1)
        return max(int(low), min(3, int(node.get("maximum", 3))))
    if kind == "number":
        return 30.5 if name in ("lat", "latitude") else 114.25 if name in ("lon", "longitude") else 12.5
    if kind == "boolean":
        return True
    raise ValueError(f"no example for schema node {node}")


def _string(node: dict[str, Any], name: str) -> str:
    if "pattern" in node:
        if node["pattern"] not in PATTERN_EXAMPLES:
            raise UnknownPattern(f"add an example for the pattern {node['pattern']!r} of {name!r} to PATTERN_EXAMPLES")
        return PATTERN_EXAMPLES[node["pattern"]]
    fmt = node.get("format")
    if fmt == "date-time":
        return MOMENT
    if fmt == "date":
        return MOMENT[:10]
    if fmt == "uuid":
        return "6f1c2a4e-0b7d-4c1e-9a57-3d2e8f9b1c00"
    text = f"示例{name}" if name else "示例"
    return text[: node.get("maxLength", len(text))].ljust(node.get("minLength", 0), "例")


def sample(cls: type[BaseModel], *, full: bool) -> dict[str, Any]:
    schema = cls.model_json_schema(mode="validation")
    data = example(schema, schema.get("$defs", {}), full=full)
    cls.model_validate(data)  # a sample that does not parse today is a bug in this recorder
    return {"type": cls.__name__, "schema_version": getattr(cls, "schema_version", 1), "data": data}


def sample_path(event_type: str, schema_version: int, *, full: bool) -> Path:
    return SAMPLES / f"{event_type}.v{schema_version}{'' if full else '.minimal'}.json"


def missing() -> list[tuple[type[Event], bool]]:
    return [
        (cls, full)
        for cls in EVENT_TYPES.values()
        for full in (True, False)
        if not sample_path(cls.__name__, cls.schema_version, full=full).exists()
    ]


def main() -> None:
    SAMPLES.mkdir(parents=True, exist_ok=True)
    for cls, full in missing():
        path = sample_path(cls.__name__, cls.schema_version, full=full)
        path.write_text(json.dumps(sample(cls, full=full), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"recorded {path.relative_to(SAMPLES.parent.parent.parent)}")


if __name__ == "__main__":
    main()
