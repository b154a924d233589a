"""The JSON schemas the Helm chart is validated against (kubeconform), built once into an ignored cache.

Nothing here is fetched from outside the package registries this project uses:

- Kubernetes' own kinds: the `kubernetes-validate` package on PyPI (a test dependency) ships the schemas of each
  Kubernetes version; those of `KUBERNETES_VERSION` (strict: no property the API does not know) are copied, each
  with the definitions it refers to inside it (kubeconform follows no reference to another file).
- Strimzi's kinds (Kafka, KafkaNodePool, KafkaTopic, KafkaUser): the CRDs Strimzi publishes in its `api` module's
  test jar on Maven Central (`io.strimzi:api:<version>:jar:tests`, `crds/v1/`), fetched by `mvn dependency:copy`.
- KEDA's kinds (ScaledObject, TriggerAuthentication): the CRDs in the Go module github.com/kedacore/keda/v2
  (`config/crd/bases/`), fetched by `go mod download`.
- The Compose specification's schema (for docker-compose.yml, tests/unit/test_compose.py): the one Docker Compose
  itself loads, `schema/compose-spec.json` in the Go module github.com/compose-spec/compose-go/v2.
- No registry reachable here ships the CRDs of CloudNativePG (its Go modules are refused by the module proxy) or of
  the Keycloak operator (not published to Maven Central): `SKIPPED` names those kinds, and
  tests/unit/test_helm_chart.py checks their fields by name instead.

Each CRD version's openAPIV3Schema becomes `<group>/<kind>_<version>.json` as kubeconform's openapi2jsonschema does,
strict: an object that lists its properties refuses any other (unless the CRD preserves unknown fields).

    python -m deploy.schemas build CACHE_DIR     (make chart-tools runs it when this file changed)
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import zipfile
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

KUBERNETES_VERSION = "1.34.0"
STRIMZI_VERSION = "0.51.0"
KEDA_VERSION = "v2.21.0"
COMPOSE_GO_VERSION = "v2.16.0"  # v2.17 asks for Go 1.26.11, newer than this machine's
COMPOSE_SCHEMA = "compose-spec.json"
KEDA_CRDS = ("keda.sh_scaledobjects.yaml", "keda.sh_triggerauthentications.yaml")
# Group/version/kind of the custom resources without a reachable schema (kubeconform -skip takes them so).
SKIPPED = (
    "postgresql.cnpg.io/v1/Cluster",
    "postgresql.cnpg.io/v1/Database",
    "postgresql.cnpg.io/v1/ScheduledBackup",
    "k8s.keycloak.org/v2alpha1/Keycloak",
    "k8s.keycloak.org/v2alpha1/KeycloakRealmImport",
)
COMPLETE = ".complete"


def kubernetes_dir(cache: Path) -> Path:
    return cache / "kubernetes"


def crd_dir(cache: Path) -> Path:
    return cache / "crds"


def kubeconform_arguments(cache: Path) -> list[str]:
    """kubeconform's options for this cache: strict, Kubernetes' kinds then the CRDs', the kinds without a schema
    skipped (by group/version/kind)."""
    return [
        "-strict",
        "-kubernetes-version",
        KUBERNETES_VERSION,
        "-schema-location",
        f"{kubernetes_dir(cache)}/{{{{ .ResourceKind }}}}{{{{ .KindSuffix }}}}.json",
        "-schema-location",
        f"{crd_dir(cache)}/{{{{ .Group }}}}/{{{{ .ResourceKind }}}}_{{{{ .ResourceAPIVersion }}}}.json",
        "-skip",
        ",".join(SKIPPED),
    ]


def copy_kubernetes(target: Path) -> int:
    """Each kind's schema with the definitions it refers to inside it (kubeconform resolves no reference to another
    file), for the kinds a manifest can be (those naming their `kind`)."""
    source = resources.files("kubernetes_validate") / "kubernetes-json-schema" / f"v{KUBERNETES_VERSION}-local-strict"
    definitions = json.loads((source / "_definitions.json").read_text(encoding="utf-8"))["$defs"]
    target.mkdir(parents=True, exist_ok=True)
    count = 0
    for entry in source.iterdir():
        if not entry.name.endswith(".json") or entry.name.startswith("_"):
            continue
        schema = json.loads(entry.read_text(encoding="utf-8"))
        if "enum" not in schema.get("properties", {}).get("kind", {}):
            continue
        schema["$defs"] = {name: definitions[name] for name in sorted(_referred(schema, definitions))}
        text = json.dumps(schema).replace('"/api/_definitions.json#', '"#')
        (target / entry.name).write_text(text, encoding="utf-8")
        count += 1
    return count


def _referred(schema: Any, definitions: dict[str, Any]) -> set[str]:
    """The names of every definition `schema` refers to, directly or through others."""
    found: set[str] = set()
    pending = [schema]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and "#/$defs/" in ref:
                name = ref.split("#/$defs/", 1)[1]
                if name not in found:
                    found.add(name)
                    pending.append(definitions[name])
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return found


def strict(node: Any, *, preserve: bool = False) -> Any:
    """openapi2jsonschema's rules: int-or-string as either, and no property beyond those listed."""
    if isinstance(node, list):
        return [strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: strict(value, preserve=key == "properties") for key, value in node.items()}
    if preserve:
        return out
    if out.get("format") == "int-or-string":
        out.pop("format")
        out.pop("type", None)
        out["oneOf"] = [{"type": "string"}, {"type": "integer"}]
    if out.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["oneOf"] = [{"type": "string"}, {"type": "integer"}]
    if (
        "properties" in out
        and "additionalProperties" not in out
        and not out.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    return out


def convert(crd_text: str, target: Path) -> list[str]:
    """Each served version of a CRD as kubeconform's `<group>/<kind>_<version>.json`; returns their paths."""
    written = []
    for crd in yaml.safe_load_all(crd_text):
        if not crd or crd.get("kind") != "CustomResourceDefinition":
            continue
        group = crd["spec"]["group"]
        kind = crd["spec"]["names"]["kind"].lower()
        for version in crd["spec"]["versions"]:
            schema = version.get("schema", {}).get("openAPIV3Schema")
            if schema is None:
                continue
            path = target / group / f"{kind}_{version['name']}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(strict(schema), indent=1), encoding="utf-8")
            written.append(str(path.relative_to(target)))
    return written


def needs(command: str, package: str) -> None:
    if shutil.which(command) is None:
        raise SystemExit(f"{command} is not installed: apt-get install -y {package} (make chart-tools fetches with it)")


def strimzi_crds(work: Path) -> list[str]:
    needs("mvn", "maven")
    out = work / "strimzi"
    artifact = f"io.strimzi:api:{STRIMZI_VERSION}:jar:tests"
    done = subprocess.run(
        ["mvn", "-B", "-q", "-Dstyle.color=never", f"-Dmaven.repo.local={work / 'm2'}", "dependency:copy"]
        + [f"-Dartifact={artifact}", f"-DoutputDirectory={out}"],
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise SystemExit(f"mvn could not fetch {artifact}:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    with zipfile.ZipFile(out / f"api-{STRIMZI_VERSION}-tests.jar") as jar:
        return [jar.read(name).decode() for name in sorted(jar.namelist()) if name.startswith("crds/v1/")]


def go_module_files(module: str, names: list[str], go_env: dict[str, str]) -> list[str]:
    """Files of a Go module (`path@version`), from the module proxy's zip (`go mod download`, kept in GOMODCACHE)."""
    needs("go", "golang-go")
    done = subprocess.run(["go", "mod", "download", "-json", module], capture_output=True, env=go_env)
    if done.returncode:
        raise SystemExit(f"go could not fetch {module}:\n{done.stdout.decode()[-3000:]}{done.stderr.decode()[-3000:]}")
    with zipfile.ZipFile(json.loads(done.stdout)["Zip"]) as archive:
        return [archive.read(f"{module}/{name}").decode() for name in names]


def keda_crds(go_env: dict[str, str]) -> list[str]:
    module = f"github.com/kedacore/keda/v2@{KEDA_VERSION}"
    return go_module_files(module, [f"config/crd/bases/{name}" for name in KEDA_CRDS], go_env)


def compose_schema(go_env: dict[str, str]) -> str:
    module = f"github.com/compose-spec/compose-go/v2@{COMPOSE_GO_VERSION}"
    return go_module_files(module, [f"schema/{COMPOSE_SCHEMA}"], go_env)[0]


def build(cache: Path) -> None:
    """The schemas into `cache` (made anew); the jars and modules they come from stay beside it for the next time."""
    shutil.rmtree(cache, ignore_errors=True)
    cache.mkdir(parents=True)
    core = copy_kubernetes(kubernetes_dir(cache))
    texts = strimzi_crds(cache.parent / "downloads") + keda_crds(dict(os.environ))
    written = [path for text in texts for path in convert(text, crd_dir(cache))]
    (cache / COMPOSE_SCHEMA).write_text(compose_schema(dict(os.environ)), encoding="utf-8")
    written.append(COMPOSE_SCHEMA)
    (cache / COMPLETE).write_text("\n".join(written) + "\n", encoding="utf-8")
    print(f"schemas: {core} Kubernetes {KUBERNETES_VERSION}, {len(written)} CRD versions into {cache}", file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m deploy.schemas", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("build",))
    parser.add_argument("cache", type=Path)
    args = parser.parse_args(argv)
    build(args.cache.resolve())


if __name__ == "__main__":
    main()
