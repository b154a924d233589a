"""The realm file in the repository and the development users' guard, read without a Keycloak."""

import json
import re
from pathlib import Path
from typing import Any

import pytest

from shared import identity, stack_keys
from shared.auth import Role
from shared.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def realm() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(
        (ROOT / "infra" / "keycloak" / "import" / "county-realm.json").read_text(encoding="utf-8")
    )
    return loaded


def test_the_realm_file_has_the_eight_roles_each_described_in_chinese(realm: dict[str, Any]) -> None:
    roles = realm["roles"]["realm"]
    assert [role["name"] for role in roles] == [role.value for role in Role]
    assert all(re.search(r"[\u4e00-\u9fff]", role["description"]) for role in roles)


def test_the_workbench_signs_in_in_the_browser_with_pkce_only(realm: dict[str, Any]) -> None:
    (workbench,) = realm["clients"]
    assert workbench["clientId"] == identity.WORKBENCH_CLIENT
    assert workbench["publicClient"] and workbench["standardFlowEnabled"]
    assert not workbench["directAccessGrantsEnabled"] and not workbench["implicitFlowEnabled"]
    assert workbench["attributes"]["pkce.code.challenge.method"] == "S256"
    assert workbench["redirectUris"] == ["http://127.0.0.1:8000/*", "http://127.0.0.1:8005/"]


def test_the_dashboard_comes_back_to_its_two_addresses_and_no_other(realm: dict[str, Any]) -> None:
    """The proxy's /dashboard/ (under the one address's /*) and projections' own root, exactly: no other origin."""
    (client,) = realm["clients"]
    logout = client["attributes"]["post.logout.redirect.uris"].split("##")
    for allowed in (client["redirectUris"], logout):
        assert allowed == ["http://127.0.0.1:8000/*", "http://127.0.0.1:8005/"]
    assert client["webOrigins"] == ["http://127.0.0.1:8000", "http://127.0.0.1:8005"]


def test_tokens_name_the_services_audience_and_the_unit(realm: dict[str, Any]) -> None:
    mappers = {mapper["protocolMapper"]: mapper["config"] for mapper in realm["clients"][0]["protocolMappers"]}
    audience = ServiceSettings.model_fields["jwt_audience"].default
    assert mappers["oidc-audience-mapper"]["included.custom.audience"] == audience
    unit = mappers["oidc-usermodel-attribute-mapper"]
    assert (unit["user.attribute"], unit["claim.name"]) == ("unit", "unit")
    assert unit["access.token.claim"] == unit["id.token.claim"] == "true"
    # Only an administrator sets a person's unit: they cannot move themselves to another unit's cases.
    (provider,) = realm["components"]["org.keycloak.userprofile.UserProfileProvider"]
    profile = json.loads(provider["config"]["kc.user.profile.config"][0])
    (attribute,) = [a for a in profile["attributes"] if a["name"] == "unit"]
    assert attribute["displayName"] == "责任单位" and attribute["permissions"]["edit"] == ["admin"]


def test_the_realm_locks_guessers_out_and_asks_for_strong_passwords_in_chinese(realm: dict[str, Any]) -> None:
    assert realm["bruteForceProtected"] and realm["failureFactor"] == 5 and not realm["permanentLockout"]
    policy = realm["passwordPolicy"]
    for rule in ("length(12)", "digits(1)", "upperCase(1)", "lowerCase(1)", "notUsername", "passwordHistory"):
        assert rule in policy
    assert realm["internationalizationEnabled"] and realm["defaultLocale"] == "zh-CN"
    assert realm["accessTokenLifespan"] == 300
    assert (realm["ssoSessionIdleTimeout"], realm["ssoSessionMaxLifespan"]) == (1800, 8 * 3600)


def test_no_person_and_no_password_sign_in_are_in_the_committed_realm(realm: dict[str, Any]) -> None:
    assert "users" not in realm
    assert all(not client.get("directAccessGrantsEnabled") for client in realm["clients"])


def test_development_users_cover_every_role_and_several_units_with_passwords_the_policy_takes() -> None:
    users = identity.dev_users()
    assert {user.role for user in users} == set(Role)
    assert {user.unit for user in users if user.role is Role.UNIT} == set(identity.DEV_UNITS)
    assert len({user.username for user in users}) == len(users)
    for _ in range(20):
        password = identity.new_password()
        assert len(password) >= 12 and re.search(r"\d", password)
        assert re.search(r"[A-Z]", password) and re.search(r"[a-z]", password)


@pytest.mark.parametrize("environment", ["production", "staging", ""])
def test_development_users_are_refused_outside_development(environment: str) -> None:
    refusal = identity.refusal(environment, "http://127.0.0.1:8180")
    assert refusal and "ENVIRONMENT=development" in refusal


def test_development_users_are_refused_on_a_keycloak_elsewhere() -> None:
    assert identity.refusal("development", "https://sso.example.gov.cn")
    assert identity.refusal("development", "http://127.0.0.1:8180") is None


def test_the_command_refuses_without_environment_development(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("ENVIRONMENT", raising=False)
    with pytest.raises(SystemExit) as refused:
        identity.main(["dev-users"])
    assert "ENVIRONMENT=development" in str(refused.value.code)


def test_the_keycloak_admin_password_is_generated_per_install_and_never_given_to_a_service(tmp_path: Path) -> None:
    keys = stack_keys.ensure(tmp_path)
    assert len(keys["KEYCLOAK_ADMIN_PASSWORD"]) >= 32
    assert "KEYCLOAK_ADMIN_PASSWORD" not in stack_keys.service_environment(tmp_path, {})
    for user in stack_keys.KAFKA_USERS:
        assert "KEYCLOAK_ADMIN_PASSWORD" not in stack_keys.service_environment(tmp_path, {}, kafka_user=user)


def test_only_make_up_creates_development_users_and_it_runs_keycloak_after_postgresql() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    up = makefile.split("\nup:", 1)[1].split("\n\n", 1)[0]
    down = makefile.split("\ndown:", 1)[1].split("\n\n", 1)[0]
    assert makefile.count("shared.identity") == up.count("shared.identity") == 1
    assert "ENVIRONMENT=development $(PY) -m shared.identity dev-users" in up
    assert up.index("postgres.sh start") < up.index("keycloak.sh launch") < up.index("keycloak.sh start")
    assert up.index("keycloak.sh start") < up.index("shared.identity")
    assert down.index("keycloak.sh stop") < down.index("postgres.sh stop")


def test_the_listing_names_each_user_with_the_role_in_chinese_and_the_password_only_when_given() -> None:
    users = identity.dev_users()
    without = identity.listing(users)
    with_passwords = identity.listing(users, {"dev-unit-2": "s3cret-pass"})
    assert len(without) == len(with_passwords) == len(users)
    unit_2 = next(line for line in with_passwords if "dev-unit-2" in line)
    assert "s3cret-pass" in unit_2 and unit_2.endswith("责任单位  河口镇人民政府")
    assert not any("s3cret-pass" in line for line in without)
    office = next(line for line in with_passwords if "dev-inspection-office" in line)
    assert "?" in office and office.endswith("督察办")
