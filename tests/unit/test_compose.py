"""docker-compose.yml validated statically (no Docker engine here): commands, environment, images, health."""

import importlib
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic_settings import BaseSettings

from services.consent.config import Settings as ConsentSettings
from services.insights.config import Settings as InsightsSettings
from services.registration.config import Settings as RegistrationSettings
from services.search.config import Settings as SearchSettings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SCRIPTS: dict[str, str] = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
SETTINGS: dict[str, type[BaseSettings]] = {
    "buurt-registration": RegistrationSettings, "buurt-consent": ConsentSettings, "buurt-search": SearchSettings,
    "buurt-insights": InsightsSettings}
INFRA_TOPICS_ENV = {"KAFKA_BOOTSTRAP_SERVERS", "BUURT_TOPIC_PREFIX"}
OWN_SERVICES = [name for name, spec in COMPOSE["services"].items() if "build" in spec]


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
    readable = env_names(SETTINGS[command]) if command in SETTINGS else INFRA_TOPICS_ENV
    assert set(spec["environment"]) <= readable, set(spec["environment"]) - readable


def test_long_running_services_have_health_checks_and_wait_for_their_dependencies() -> None:
    for name, spec in COMPOSE["services"].items():
        if name == "topics":
            assert spec["restart"] == "no"
            continue
        assert "healthcheck" in spec, name
        for dependency, condition in spec.get("depends_on", {}).items():
            assert condition["condition"] in {"service_healthy", "service_completed_successfully"}, (name, dependency)


def test_only_the_public_web_port_is_published_and_data_lives_in_named_volumes() -> None:
    published = {name: spec["ports"] for name, spec in COMPOSE["services"].items() if "ports" in spec}
    assert published == {"search": ["8000:8000"]}
    assert set(COMPOSE["volumes"]) == {"kafka-data", "redis-data"}
