"""docker-compose.yml validated statically (no Docker engine here): commands, environment, images, health,
credentials (each from the environment, none defaulted), the cluster profile, and the files the init container writes
for Kafka and Redis."""

import copy
import importlib
import json
import re
import stat
import subprocess
import tomllib
from importlib import resources
from pathlib import Path
from secrets import token_urlsafe
from typing import Any

import jsonschema
import pytest
import yaml
from pydantic_settings import BaseSettings

from services.common.kafka_client import KafkaAuth
from services.common.partners import SEEDED_PARTNERS, load_specs
from services.consent.config import Settings as ConsentSettings
from services.infra import compose, kafka_acls, redis_acls
from services.insights.config import Settings as InsightsSettings
from services.registration import onboarding
from services.registration.config import Settings as RegistrationSettings
from services.registration.errors import Unauthenticated
from services.registration.partners import PartnerRegistry
from services.search.config import Settings as SearchSettings

ROOT = Path(__file__).resolve().parents[2]
TEXT = (ROOT / "docker-compose.yml").read_text()
COMPOSE: dict[str, Any] = yaml.safe_load(TEXT)
SCRIPTS: dict[str, str] = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
SETTINGS: dict[str, type[BaseSettings]] = {
    "buurt-registration": RegistrationSettings, "buurt-consent": ConsentSettings, "buurt-search": SearchSettings,
    "buurt-insights": InsightsSettings}
INFRA_ENV = {"topics": {"KAFKA_BOOTSTRAP_SERVERS", "BUURT_TOPIC_PREFIX"},
             "compose-init": {*compose.variables(), compose.NODES}}
OWN_SERVICES = [name for name, spec in COMPOSE["services"].items() if "build" in spec]
CLUSTER_ONLY = {"kafka-2", "kafka-3", "redis-replica", "sentinel-1", "sentinel-2", "sentinel-3"}
SECRET = re.compile(r"PASSWORD|KEY|SECRET|CLUSTER_ID")
PUBLIC = {"REGISTRATION_AUDIT_KEYS"}  # the audit log's verifier key: public, empty until the log has one


def env_names(settings: type[BaseSettings]) -> set[str]:
    """Every environment variable a settings class reads (aliases or prefix + field name)."""
    prefix = str(settings.model_config.get("env_prefix", ""))
    names: set[str] = set()
    for field_name, field in settings.model_fields.items():
        alias = field.validation_alias
        choices = getattr(alias, "choices", None)
        if choices:
            names.update(str(c) for c in choices if str(c).isupper())
        else:
            names.add(f"{prefix}{field_name}".upper())
    return names


def test_every_image_is_pinned_by_tag() -> None:
    for name, spec in COMPOSE["services"].items():
        image = spec["image"]
        assert ":" in image, name
        assert not image.endswith(":latest"), name


@pytest.mark.parametrize("service", OWN_SERVICES)
def test_command_is_a_real_entry_point(service: str) -> None:
    command = COMPOSE["services"][service]["command"][0]
    module, _, function = SCRIPTS[command].partition(":")
    assert callable(getattr(importlib.import_module(module), function))


@pytest.mark.parametrize("service", OWN_SERVICES)
def test_every_environment_variable_is_read_by_that_service(service: str) -> None:
    spec = COMPOSE["services"][service]
    command = spec["command"][0]
    readable = env_names(SETTINGS[command]) if command in SETTINGS else INFRA_ENV[spec["command"][1]]
    readable |= env_names(KafkaAuth)
    assert set(spec["environment"]) <= readable, set(spec["environment"]) - readable


def test_long_running_services_have_health_checks_and_wait_for_their_dependencies() -> None:
    for name, spec in COMPOSE["services"].items():
        if name in {"init", "topics"}:  # one-shots
            assert spec["restart"] == "no"
            continue
        assert "healthcheck" in spec, name
        for dependency, condition in spec.get("depends_on", {}).items():
            assert condition["condition"] in {"service_healthy", "service_completed_successfully"}, (name, dependency)


def test_only_the_public_web_port_is_published_and_data_lives_in_named_volumes() -> None:
    published = {name: spec["ports"] for name, spec in COMPOSE["services"].items() if "ports" in spec}
    assert published == {"search": ["8000:8000"]}
    assert set(COMPOSE["volumes"]) == {"kafka-config", "redis-config", "kafka-1-data", "kafka-2-data", "kafka-3-data",
                                       "redis-data", "redis-replica-data", "partners"}


def test_every_credential_comes_from_the_environment_and_none_has_a_default() -> None:
    references = re.findall(r"\$\{([A-Z0-9_]+)(:?[-?]?)", TEXT)
    secrets = {(name, operator) for name, operator in references if SECRET.search(name) and name not in PUBLIC}
    assert secrets, "no credential read from the environment"
    assert {operator for _, operator in secrets} == {":?"}, sorted(secrets)
    assert not re.search(r"(PASSWORD|_KEY|SECRET)[A-Z_]*: +[^$\s{]", TEXT), "a literal credential"


def test_the_init_container_gets_every_secret_it_writes_into_kafkas_and_rediss_files() -> None:
    assert set(COMPOSE["services"]["init"]["environment"]) == {*compose.variables(), compose.NODES}


def test_each_service_authenticates_as_its_own_principal_and_redis_user() -> None:
    principals = set(kafka_acls.principals([]))
    for name in ("registration", "consent", "search", "insights"):
        env = COMPOSE["services"][name]["environment"]
        user = env["KAFKA_SASL_USERNAME"]
        assert user == kafka_acls.SERVICE_PRINCIPALS[f"buurt-{name}"]
        assert user in principals
        assert env["KAFKA_SASL_PASSWORD"].startswith(f"${{{compose.password_variable('KAFKA', user)}:?")
        assert env["KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
        if "REDIS_URL" in env:
            redis_user = env["REDIS_URL"].removeprefix("redis://").split(":")[0]
            assert redis_user == name
            assert redis_user in redis_acls.rules()
            assert f"${{{compose.password_variable('REDIS', redis_user)}:?" in env["REDIS_URL"]
    topics = COMPOSE["services"]["topics"]["environment"]
    assert topics["KAFKA_SASL_USERNAME"] == "admin"


def test_the_cluster_profile_adds_two_kafka_nodes_a_redis_replica_and_three_sentinels() -> None:
    profiled = {name for name, spec in COMPOSE["services"].items() if spec.get("profiles")}
    assert profiled == CLUSTER_ONLY
    assert all(COMPOSE["services"][name]["profiles"] == ["cluster"] for name in profiled)
    for name, spec in COMPOSE["services"].items():  # the default installation does not wait for what it lacks
        for dependency, condition in spec.get("depends_on", {}).items():
            if dependency in CLUSTER_ONLY and name not in CLUSTER_ONLY:
                assert condition.get("required") is False, (name, dependency)
    makefile = (ROOT / "Makefile").read_text()
    assert "BUURT_KAFKA_NODES=3" in makefile
    assert "--profile cluster" in makefile


def test_the_kafka_nodes_run_the_committed_script_on_the_init_containers_files(tmp_path: Path) -> None:
    script = ROOT / "infra/compose/kafka-node.sh"
    assert subprocess.run(["bash", "-n", str(script)], check=False).returncode == 0
    read = set(re.findall(r"/kafka-config/([\w.${}:?-]+)", script.read_text()))
    compose.write_config(tmp_path, {**_secrets(), compose.NODES: "3"})
    written = {path.name for path in (tmp_path / "kafka-config").iterdir()}
    node_1_reads = {name.replace("${KAFKA_NODE_ID:?}", "1") for name in read}
    assert node_1_reads == {"node-1.properties", "scram.args", "cluster.id"}
    assert node_1_reads <= written
    for i in (1, 2, 3):
        spec = COMPOSE["services"][f"kafka-{i}"]
        assert spec["environment"]["KAFKA_NODE_ID"] == str(i)
        assert spec["hostname"] == f"kafka-{i}"
        assert f"./{script.relative_to(ROOT)}:/opt/buurt/kafka-node.sh:ro" in spec["volumes"]


SPEC: dict[str, Any] = json.loads(  # the Compose Specification's schema, as check-jsonschema ships it
    (resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json").read_text())
VARIABLE = re.compile(r"\$(?:(\$)|\{(\w+)(?:(:?[-?])([^}]*))?\}|(\w+))")


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's interpolation: ``$$``, ``${VAR}``, ``${VAR:-default}``, ``${VAR:?error}`` (an error when unset)."""
    def value(match: re.Match[str]) -> str:
        dollar, name, operator, argument, bare = match.groups()
        if dollar:
            return "$"
        name = name or bare
        if env.get(name) or (name in env and ":" not in (operator or ":")):
            return env[name]
        if operator and operator.endswith("?"):
            raise KeyError(f"{name}: {argument}")
        return argument if operator else ""

    return VARIABLE.sub(value, text)


def cluster_environment() -> dict[str, str]:
    """The variables ``make up-cluster`` sets (the Makefile's CLUSTER_ENV)."""
    makefile = (ROOT / "Makefile").read_text()
    assignment = re.search(r"^CLUSTER_ENV := ((?:.*\\\n)*.*)$", makefile, re.MULTILINE)
    assert assignment, "the Makefile sets no CLUSTER_ENV"
    return dict(word.split("=", 1) for word in assignment.group(1).replace("\\\n", " ").split())


@pytest.mark.parametrize("profile", ["default", "cluster"])
def test_the_file_as_compose_reads_it_follows_the_compose_specification(profile: str) -> None:
    env = {**_secrets(), **{name: "x" for name in ("CONSENT_MASTER_KEY", "CONSENT_SIGNING_KEY", "CONSENT_INTAKE_KEYS",
                                                    "REGISTRATION_INTAKE_PUBLIC_KEY")}}
    if profile == "cluster":
        env |= cluster_environment()
        assert env["BUURT_KAFKA_NODES"] == "3"
    document = yaml.safe_load(interpolate(TEXT, env))
    errors = [f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
              for error in jsonschema.Draft202012Validator(SPEC).iter_errors(document)]
    assert errors == []
    broken = copy.deepcopy(document)  # the schema is strict: a misspelt key is an error
    broken["services"]["search"]["depends_on"]["topics"]["condtion"] = "service_healthy"
    assert list(jsonschema.Draft202012Validator(SPEC).iter_errors(broken))


def test_interpolation_as_compose_does_it() -> None:
    env = {"SET": "v", "EMPTY": ""}
    interpolated = interpolate("$$HOSTNAME ${SET} $SET ${EMPTY:-d} ${EMPTY-d} ${UNSET:-d} ${UNSET}", env)
    assert interpolated == "$HOSTNAME v v d  d "
    with pytest.raises(KeyError, match="UNSET: say why"):
        interpolate("${UNSET:?say why}", env)


def _secrets() -> dict[str, str]:
    return {name: token_urlsafe(16) for name in compose.variables()}


@pytest.mark.parametrize("nodes", [1, 3])
def test_the_init_container_writes_secured_nodes_and_private_files(tmp_path: Path, nodes: int) -> None:
    secrets = _secrets()
    compose.write_config(tmp_path, {**secrets, compose.NODES: str(nodes)})
    kafka = tmp_path / "kafka-config"
    properties = [(kafka / f"node-{i}.properties").read_text() for i in range(1, nodes + 1)]
    voters = ",".join(f"{i}@kafka-{i}:9093" for i in range(1, nodes + 1))
    for i, text in enumerate(properties, start=1):
        assert f"node.id={i}\n" in text
        assert f"controller.quorum.voters={voters}\n" in text
        assert f"advertised.listeners=SASL_SSL://kafka-{i}:9092\n" in text
        assert "ssl.keystore.location=/kafka-config/tls/node.pem\n" in text
        assert f"default.replication.factor={nodes}\n" in text
        assert f"min.insync.replicas={2 if nodes == 3 else 1}\n" in text
    scram = (kafka / "scram.args").read_text().splitlines()
    assert scram[0::2] == ["--add-scram"] * len(compose.kafka_principals())
    assert {line.split("name=")[1].split(",")[0] for line in scram[1::2]} == set(compose.kafka_principals())
    assert not (tmp_path / "kafka-config/node-4.properties").exists()
    redis = tmp_path / "redis-config"
    acl = (redis / "users.acl").read_text()
    assert "user default off" in acl
    assert not any(secrets[name] in acl for name in secrets)
    assert "replicaof redis 6379" in (redis / "redis-replica.conf").read_text()
    assert "sentinel monitor buurt redis 6379 2" in (redis / "sentinel-3.conf").read_text()
    for path in [*kafka.iterdir(), *redis.iterdir(), kafka / "tls/node.pem"]:
        if path.is_file():
            assert stat.S_IMODE(path.stat().st_mode) in {0o600, 0o400}, path
    assert stat.S_IMODE((kafka / "tls/ca.pem").stat().st_mode) == 0o644


def test_a_missing_secret_stops_the_init_container_with_its_name(tmp_path: Path) -> None:
    secrets = _secrets()
    del secrets["REDIS_PASSWORD_SEARCH"]
    with pytest.raises(ValueError, match="REDIS_PASSWORD_SEARCH"):
        compose.write_config(tmp_path, secrets)


def test_make_up_keeps_each_secret_once(tmp_path: Path) -> None:
    compose.ensure_secrets(tmp_path)
    first = (tmp_path / "secrets.env").read_text()
    compose.ensure_secrets(tmp_path)
    assert (tmp_path / "secrets.env").read_text() == first
    assert {line.split("=")[0] for line in first.splitlines()} == set(compose.variables())


def test_the_partner_registry_on_its_volume_has_no_demo_credentials_and_takes_the_operators(tmp_path: Path) -> None:
    compose.write_config(tmp_path, _secrets())
    registry = tmp_path / "partners" / "partners.yaml"
    specs = load_specs(registry)
    assert set(specs) == set(load_specs(SEEDED_PARTNERS))
    assert all(spec.api_key_sha256 == [] for spec in specs.values())
    assert "demo" not in registry.read_text()
    assert stat.S_IMODE(registry.stat().st_mode) == 0o600
    issued = onboarding.rotate_key(registry, "unizo-winkelhier", new_secret=True)  # what the operator runs
    compose.write_config(tmp_path, _secrets())  # the init container again, at the next `up`: kept as it is
    partner = PartnerRegistry.from_file(registry, environ={}).by_api_key(issued.api_key)
    assert partner.signing_secret == (issued.signing_secret or "").encode()
    with pytest.raises(Unauthenticated):
        PartnerRegistry.from_file(registry, environ={}).by_api_key("demo-unizo-winkelhier")


def test_the_registration_and_consent_services_read_the_registry_on_its_volume() -> None:
    services = COMPOSE["services"]
    for name, variable in (("registration", "REGISTRATION_PARTNERS_FILE"), ("consent", "CONSENT_PARTNERS_FILE")):
        assert services[name]["environment"][variable] == "/partners/partners.yaml"
        assert any(volume.startswith("partners:/partners") for volume in services[name]["volumes"])
