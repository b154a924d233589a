"""The Helm chart (deploy/helm/county-env-closure), validated offline: no cluster runs here.

`make chart-tools` (which `make test` runs first) builds helm and kubeconform from the Go module proxy and the JSON
schemas (deploy/schemas.py). The chart is linted and rendered for a county and a province; every object is checked
strictly against Kubernetes' schemas or its operator's CRD where a registry ships one; the kinds without a reachable
CRD (CloudNativePG's, the Keycloak operator's) and what no schema says are checked here by name.
"""

import copy
import json
import re
import secrets
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from confluent_kafka.admin import AclOperation, ResourcePatternType, ResourceType

from deploy import schemas
from services.intake.settings import DEVELOPMENT_CONTACT_KEY
from shared import kafka_access
from shared.audit.checkpoints import new_key
from shared.kafka_access import ACCESS, bindings
from shared.settings import ServiceSettings
from shared.topics import all_topics
from tests.support import chart_tools

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "county-env-closure"
HELM, KUBECONFORM, SCHEMAS = chart_tools.HELM, chart_tools.KUBECONFORM, chart_tools.SCHEMAS
SIZES = ("county", "province")
SERVICES = ("intake", "cases", "enforcement", "accountability", "projections")
# bench/README.md, "Every figure of issue 14 in one run, after the sixth session's changes": peak RSS 106–131 MiB.
MEASURED_PEAK_RSS_MIB = 131

Manifest = dict[str, Any]

# Every test here needs helm, kubeconform and the schemas (built in the background since collection; these run last).
pytestmark = pytest.mark.usefixtures("chart_tools")


def helm(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(HELM), *args, "--kube-version", schemas.KUBERNETES_VERSION], capture_output=True, text=True, cwd=ROOT
    )


SERVICES = ("intake", "cases", "enforcement", "accountability", "projections")


def keys() -> list[str]:
    """What an operator passes for the chart's own Secret: never a file of the repository."""
    signing = ",".join(f"secrets.auditSigningKeys.{service}={new_key()}" for service in SERVICES)
    return [
        "--set",
        f"secrets.contactKeys={secrets.token_urlsafe(32)}=,secrets.metricsToken={secrets.token_hex(20)},{signing}",
    ]


def values(size: str) -> list[str]:
    return ["-f", str(CHART / f"values-{size}.yaml")]


def render(*args: str) -> list[Manifest]:
    done = helm("template", "county", str(CHART), *args)
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[Manifest]]:
    return {size: render(*values(size), *keys()) for size in SIZES}


def of_kind(manifests: list[Manifest], kind: str) -> list[Manifest]:
    return [m for m in manifests if m["kind"] == kind]


def named(manifests: list[Manifest], kind: str) -> dict[str, Manifest]:
    return {m["metadata"]["name"]: m for m in of_kind(manifests, kind)}


@pytest.mark.parametrize("size", SIZES)
def test_helm_lint_passes(size: str) -> None:
    done = helm("lint", "--strict", str(CHART), *values(size), *keys())
    assert done.returncode == 0, done.stdout + done.stderr


def kubeconform(text: str) -> dict[str, Any]:
    done = subprocess.run(
        [str(KUBECONFORM), *schemas.kubeconform_arguments(SCHEMAS), "-output", "json", "-summary", "-verbose"],
        input=text,
        capture_output=True,
        text=True,
    )
    report: dict[str, Any] = json.loads(done.stdout)
    report["returncode"] = done.returncode
    return report


@pytest.mark.parametrize("size", SIZES)
def test_every_object_is_valid_against_its_schema_in_strict_mode(size: str) -> None:
    done = helm("template", "county", str(CHART), *values(size), *keys())
    report = kubeconform(done.stdout)
    failed = [r for r in report["resources"] if r["status"] not in ("statusValid", "statusSkipped")]
    assert report["returncode"] == 0 and not failed, failed
    skipped = {r["kind"] for r in report["resources"] if r["status"] == "statusSkipped"}
    # Only the kinds no reachable registry ships a schema for (checked by name below); every other kind validated.
    assert skipped == {gvk.rsplit("/", 1)[1] for gvk in schemas.SKIPPED} - (
        {"ScheduledBackup"} if size == "county" else set()
    )
    validated = {r["kind"] for r in report["resources"] if r["status"] == "statusValid"}
    assert {
        "Deployment",
        "NetworkPolicy",
        "Kafka",
        "KafkaNodePool",
        "KafkaTopic",
        "KafkaUser",
        "ScaledObject",
    } <= validated


def test_strict_validation_refuses_an_unknown_field_in_a_core_object_and_in_a_custom_resource(
    rendered: dict[str, list[Manifest]],
) -> None:
    county = copy.deepcopy(rendered["county"])
    deployment = named(county, "Deployment")["intake"]
    deployment["spec"]["template"]["spec"]["terminationGracePeriod"] = 30
    user = named(county, "KafkaUser")["cases"]
    user["spec"]["authentication"]["type"] = "scram"
    scaled = named(county, "ScaledObject")["cases"]
    scaled["spec"]["minReplicas"] = 1
    report = kubeconform(yaml.safe_dump_all([deployment, user, scaled]))
    assert report["returncode"] != 0
    assert {r["kind"] for r in report["resources"] if r["status"] == "statusInvalid"} == {
        "Deployment",
        "KafkaUser",
        "ScaledObject",
    }


def test_the_chart_refuses_to_render_without_the_keys() -> None:
    done = helm("template", "county", str(CHART), *values("county"))
    assert done.returncode != 0
    assert "secrets.contactKeys 未设置" in done.stderr
    short = helm(
        "template", "county", str(CHART), *values("county"), "--set", "secrets.contactKeys=k,secrets.metricsToken=x"
    )
    assert short.returncode != 0 and "secrets.metricsToken 太短" in short.stderr


def test_an_existing_secret_replaces_the_charts_own(rendered: dict[str, list[Manifest]]) -> None:
    manifests = render(*values("province"), "--set", "secrets.existingSecret=province-keys")
    assert "county-keys" not in named(manifests, "Secret")
    intake = container(named(manifests, "Deployment")["intake"])
    refs = {e["name"]: e["valueFrom"]["secretKeyRef"]["name"] for e in intake["env"] if "valueFrom" in e}
    assert refs["CONTACT_KEYS"] == refs["METRICS_TOKEN"] == "province-keys"


def test_each_service_with_an_event_store_gets_its_own_audit_signing_key_from_the_secret() -> None:
    key = new_key()
    manifests = render(*values("county"), *keys(), "--set", f"secrets.auditSigningKeys.cases={key}")
    assert named(manifests, "Secret")["county-keys"]["stringData"]["AUDIT_SIGNING_KEY_CASES"] == key
    deployments = named(manifests, "Deployment")
    for service in SERVICES:
        env = {e["name"]: e for e in container(deployments[service])["env"]}
        ref = env["AUDIT_SIGNING_KEY"]["valueFrom"]["secretKeyRef"]
        assert ref == {"name": "county-keys", "key": f"AUDIT_SIGNING_KEY_{service.upper()}", "optional": False}


def test_outside_development_the_chart_refuses_to_render_without_every_audit_signing_key() -> None:
    given = [k for k in keys()[1].split(",") if not k.startswith("secrets.auditSigningKeys.projections=")]
    done = helm("template", "county", str(CHART), *values("county"), "--set", ",".join(given))
    assert done.returncode != 0 and "secrets.auditSigningKeys.projections" in done.stderr
    development = render(*values("county"), "-f", str(CHART / "values-development.yaml"))
    env = {e["name"]: e for e in container(named(development, "Deployment")["cases"])["env"]}
    assert env["AUDIT_SIGNING_KEY"]["valueFrom"]["secretKeyRef"]["optional"] is True


def test_no_values_file_but_the_development_one_holds_a_key() -> None:
    for name in ("values.yaml", "values-county.yaml", "values-province.yaml"):
        text = (CHART / name).read_text(encoding="utf-8")
        loaded = yaml.safe_load(text)
        assert not any((loaded.get("secrets") or {}).get(k) for k in ("contactKeys", "metricsToken")), name
        assert DEVELOPMENT_CONTACT_KEY not in text, name
    development = yaml.safe_load((CHART / "values-development.yaml").read_text(encoding="utf-8"))
    assert development["environment"] == "development", "the development key works only in development"
    # No template writes a key of its own either: each comes from values (required) or from an operator's Secret.
    for template in (CHART / "templates").iterdir():
        for line in template.read_text(encoding="utf-8").splitlines():
            if re.match(r"\s+(CONTACT_KEYS|METRICS_TOKEN):", line):
                assert "required" in line or "$token" in line, line


def container(deployment: Manifest) -> dict[str, Any]:
    [only] = deployment["spec"]["template"]["spec"]["containers"]
    return dict(only)


MEBI = {"Ki": 1 / 1024, "Mi": 1, "Gi": 1024}


def mebibytes(quantity: str) -> float:
    number, unit = re.fullmatch(r"(\d+)(Ki|Mi|Gi)", quantity).groups()  # type: ignore[union-attr]
    return int(number) * MEBI[unit]


def test_every_deployment_has_probes_and_resources_from_the_measured_figures(
    rendered: dict[str, list[Manifest]],
) -> None:
    for size, manifests in rendered.items():
        deployments = named(manifests, "Deployment")
        assert set(deployments) == {*SERVICES, "proxy"}, size
        for name, deployment in deployments.items():
            spec = container(deployment)
            for probe in ("readinessProbe", "livenessProbe"):
                assert spec[probe]["httpGet"]["port"] == "http", (size, name, probe)
            resources = spec["resources"]
            assert set(resources["requests"]) == set(resources["limits"]) == {"cpu", "memory"}, (size, name)
            if name in SERVICES:
                assert spec["readinessProbe"]["httpGet"]["path"] == "/readyz"
                assert spec["livenessProbe"]["httpGet"]["path"] == "/healthz"
                # The measured peak RSS fits in what the pod asks for, so a node never starts it short of memory.
                assert mebibytes(resources["requests"]["memory"]) >= MEASURED_PEAK_RSS_MIB, (size, name)
                assert spec["command"] == ["python", "-m", f"services.{name}"]
            assert deployment["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True
        budgets = named(manifests, "PodDisruptionBudget")
        assert set(budgets) == set(deployments)
        for name, budget in budgets.items():
            assert budget["spec"]["selector"] == deployments[name]["spec"]["selector"]


def test_each_service_gets_only_the_settings_it_reads_and_only_intake_the_contact_keys(
    rendered: dict[str, list[Manifest]],
) -> None:
    from tests.unit.test_compose import SETTINGS, service_name

    deployments = named(rendered["county"], "Deployment")
    for settings_cls in SETTINGS:
        name = service_name(settings_cls)
        env = {e["name"] for e in container(deployments[name])["env"]}
        # PGUSER and PGPASSWORD only make DATABASE_URL ($(…) is expanded by Kubernetes).
        assert env - {"PGUSER", "PGPASSWORD"} <= {f.upper() for f in settings_cls.model_fields}, name
        assert ("CONTACT_KEYS" in env) == (name == "intake")
        assert port(deployments[name]) == settings_cls.model_fields["port"].default


def port(deployment: Manifest) -> int:
    [only] = container(deployment)["ports"]
    return int(only["containerPort"])


def test_every_network_policy_denies_by_default_and_admits_only_what_it_names(
    rendered: dict[str, list[Manifest]],
) -> None:
    for size, manifests in rendered.items():
        policies = named(manifests, "NetworkPolicy")
        assert set(policies) == {*SERVICES, "proxy", "county-default-deny"}, size
        for name, policy in policies.items():
            spec = policy["spec"]
            # Both directions listed: whatever no rule admits is refused.
            assert spec["policyTypes"] == ["Ingress", "Egress"], (size, name)
            for rule in spec.get("ingress", []) + spec.get("egress", []):
                peers = rule.get("from", rule.get("to"))
                assert peers and rule.get("ports"), f"{name}: a rule without peers or ports admits everything"
                for peer in peers:
                    assert peer.get("podSelector", {}).get("matchLabels"), f"{name}: a peer must name its pods"
        assert "ingress" not in policies["county-default-deny"]["spec"]
        assert "egress" not in policies["county-default-deny"]["spec"]
        for name in SERVICES:
            spec = policies[name]["spec"]
            sources = [peer["podSelector"]["matchLabels"] for rule in spec["ingress"] for peer in rule["from"]]
            assert sources[0]["app.kubernetes.io/component"] == "proxy"
            assert sources[1:] == [{"app.kubernetes.io/name": "prometheus"}]
            targets = [peer["podSelector"]["matchLabels"] for rule in spec["egress"] for peer in rule["to"]]
            assert [next(iter(t)) for t in targets] == ["strimzi.io/cluster", "cnpg.io/cluster", "app", "k8s-app"]


def test_each_consumer_scales_on_its_groups_lag_never_past_the_partitions(
    rendered: dict[str, list[Manifest]],
) -> None:
    for size, manifests in rendered.items():
        partitions = min(t["spec"]["partitions"] for t in of_kind(manifests, "KafkaTopic"))
        scaled = named(manifests, "ScaledObject")
        assert set(scaled) == {"cases", "enforcement", "accountability", "projections"}
        for name, obj in scaled.items():
            assert obj["spec"]["scaleTargetRef"]["name"] == name
            assert obj["spec"]["maxReplicaCount"] <= partitions, (size, name)
            groups = {t["metadata"].get("consumerGroup") for t in obj["spec"]["triggers"] if t["type"] == "kafka"}
            assert groups == consumer_groups(name), (size, name)
        [hpa] = of_kind(manifests, "HorizontalPodAutoscaler")
        assert hpa["spec"]["scaleTargetRef"]["name"] == "intake"
        assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"


def consumer_groups(service: str) -> set[str | None]:
    """The groups the service's consumers join (shared/consumer.py: <service>.<name>); projections' is made anew by
    each rebuild (services/projections/generations.py), so its lag is read from its gauge instead (None here)."""
    if service == "projections":
        return set()
    text = (ROOT / "services" / service / "consumers.py").read_text(encoding="utf-8")
    return {f"{service}.{name}" for name in re.findall(r'name="([a-z-]+)"', text)}


def test_the_chart_refuses_more_consumers_than_partitions() -> None:
    done = helm(
        "template", "county", str(CHART), *values("county"), *keys(),
        "--set", "kafka.partitions=3,services.cases.lagScaling.maxReplicaCount=4",
    )  # fmt: skip
    assert done.returncode != 0
    assert "services.cases.lagScaling.maxReplicaCount (4) 大于分区数 kafka.partitions (3)" in done.stderr


def test_the_charts_kafka_file_is_made_from_the_python_definitions() -> None:
    on_disk = json.loads((CHART / "files" / "kafka.json").read_text(encoding="utf-8"))
    assert on_disk == kafka_access.chart(), (
        "files/kafka.json is out of date: python -m shared.kafka_access chart"
        " > deploy/helm/county-env-closure/files/kafka.json"
    )


KINDS = {"topic": ResourceType.TOPIC, "group": ResourceType.GROUP}
PATTERNS = {"literal": ResourcePatternType.LITERAL, "prefix": ResourcePatternType.PREFIXED}


def test_a_kafka_user_per_service_with_exactly_the_grants_of_kafka_access(rendered: dict[str, list[Manifest]]) -> None:
    for size, manifests in rendered.items():
        users = named(manifests, "KafkaUser")
        assert set(users) == {*ACCESS, "keda-lag"}, size
        for user, access in ACCESS.items():
            spec = users[user]["spec"]
            assert spec["authentication"] == {"type": "scram-sha-512"}
            granted = {
                (KINDS[acl["resource"]["type"]], acl["resource"]["name"], PATTERNS[acl["resource"]["patternType"]], op)
                for acl in spec["authorization"]["acls"]
                for op in acl["operations"]
            }
            expected = {
                (b.restype, b.name, b.resource_pattern_type, AclOperation(b.operation).name.capitalize())
                for b in bindings(user, access)
            }
            assert granted == expected, (size, user)
        # KEDA's user only describes: it can neither read an event nor write one.
        lag = users["keda-lag"]["spec"]["authorization"]["acls"]
        assert {op for acl in lag for op in acl["operations"]} == {AclOperation.DESCRIBE.name.capitalize()}


def test_kafka_runs_in_kraft_mode_with_the_projects_topics_replicated(rendered: dict[str, list[Manifest]]) -> None:
    for size, manifests in rendered.items():
        [kafka] = of_kind(manifests, "Kafka")
        assert kafka["spec"]["kafka"]["authorization"]["type"] == "simple"
        assert kafka["spec"]["kafka"]["config"]["min.insync.replicas"] == 2
        pools = of_kind(manifests, "KafkaNodePool")
        assert sum(p["spec"]["replicas"] for p in pools if "controller" in p["spec"]["roles"]) == 3, size
        assert sum(p["spec"]["replicas"] for p in pools if "broker" in p["spec"]["roles"]) >= 3, size
        topics = of_kind(manifests, "KafkaTopic")
        assert {t["spec"]["topicName"] for t in topics} == set(all_topics(ServiceSettings()))
        for topic in topics:
            assert topic["spec"]["replicas"] == 3
            assert topic["spec"]["config"]["min.insync.replicas"] == 2
            assert topic["spec"]["config"]["retention.ms"] == -1
    assert {t["spec"]["partitions"] for t in of_kind(rendered["county"], "KafkaTopic")} == {12}


def test_postgresql_is_a_replicated_cluster_with_a_database_per_service(rendered: dict[str, list[Manifest]]) -> None:
    for manifests in rendered.values():
        [cluster] = of_kind(manifests, "Cluster")
        assert cluster["apiVersion"] == "postgresql.cnpg.io/v1"
        assert cluster["spec"]["instances"] >= 2, "a primary and a replica"
        assert cluster["spec"]["bootstrap"]["initdb"] == {"database": "county", "owner": "county"}
        databases = of_kind(manifests, "Database")
        assert {d["spec"]["name"] for d in databases} == {*SERVICES, "keycloak"}
        assert all(d["spec"]["cluster"]["name"] == cluster["metadata"]["name"] for d in databases)
        assert all(d["spec"]["owner"] == "county" for d in databases)
    assert "backup" not in of_kind(rendered["county"], "Cluster")[0]["spec"], "no object storage named: no backup"
    backup = of_kind(rendered["province"], "Cluster")[0]["spec"]["backup"]["barmanObjectStore"]
    assert backup["destinationPath"].startswith("s3://")
    assert backup["s3Credentials"]["accessKeyId"]["name"] == "province-backup-credentials"
    [scheduled] = of_kind(rendered["province"], "ScheduledBackup")
    assert scheduled["spec"]["cluster"]["name"] == "county-pg"


def test_keycloak_imports_the_realm_the_local_stack_uses_for_this_origin(rendered: dict[str, list[Manifest]]) -> None:
    manifests = rendered["county"]
    [keycloak] = of_kind(manifests, "Keycloak")
    assert keycloak["spec"]["db"]["host"] == "county-pg-rw" and keycloak["spec"]["db"]["database"] == "keycloak"
    assert keycloak["spec"]["hostname"]["hostname"] == "https://login.county.example.gov.cn"
    [realm_import] = of_kind(manifests, "KeycloakRealmImport")
    assert realm_import["spec"]["keycloakCRName"] == keycloak["metadata"]["name"]
    realm = json.loads((ROOT / "infra" / "keycloak" / "import" / "county-realm.json").read_text(encoding="utf-8"))
    imported = realm_import["spec"]["realm"]
    origin = "https://huanbao.county.example.gov.cn"
    for client in realm["clients"]:
        if client["clientId"] == "workbench":
            client["redirectUris"] = [f"{origin}/*"]
            client["webOrigins"] = [origin]
            client["attributes"]["post.logout.redirect.uris"] = f"{origin}/*"
    assert imported == realm, "the realm file, only the workbench's addresses changed"


def test_the_ingress_serves_the_paths_of_the_local_proxy_through_the_proxy(rendered: dict[str, list[Manifest]]) -> None:
    [ingress] = of_kind(rendered["county"], "Ingress")
    [rule] = ingress["spec"]["rules"]
    paths = {p["path"]: p["backend"]["service"]["name"] for p in rule["http"]["paths"]}
    template = (ROOT / "infra" / "proxy" / "nginx.conf.template").read_text(encoding="utf-8")
    served = set(re.findall(r"location (/[a-z/]*/) \{", template)) - {"/api/", "/assets/"}
    assert set(paths) == served | {"/"} and set(paths.values()) == {"proxy"}
    # The proxy's container.sh reaches each service by its name and port: the chart's Services are named so.
    container_sh = (ROOT / "infra" / "proxy" / "container.sh").read_text(encoding="utf-8")
    services = named(rendered["county"], "Service")
    for name in SERVICES:
        assert f"PROXY_{name.upper()}={name}:{services[name]['spec']['ports'][0]['port']}\n" in container_sh
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "AS proxy" in dockerfile and 'ENTRYPOINT ["sh", "/infra/proxy/container.sh"]' in dockerfile


def test_the_development_values_render_with_the_development_key_in_development_only() -> None:
    manifests = render(*values("county"), "-f", str(CHART / "values-development.yaml"))
    [secret] = of_kind([m for m in manifests if m["metadata"]["name"] == "county-keys"], "Secret")
    assert secret["stringData"]["CONTACT_KEYS"] == DEVELOPMENT_CONTACT_KEY
    env = {e["name"]: e.get("value") for e in container(named(manifests, "Deployment")["intake"])["env"]}
    assert env["ENVIRONMENT"] == "development", "intake accepts the development key in development only"
