"""Onboarding a partner by command while the registration service runs (over real Kafka and Redis): `partners add`
prints an API key and signing secret once and the running service accepts them within seconds; `rotate-key
--revoke-old` retires the old key; `disable` refuses the partner; the file keeps only the key's hash. The command is
the installed entry point, run as an operator would."""

import asyncio
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from services.common import codec, events
from services.common.partners import SEEDED_PARTNERS, CurrentAllowedEvents
from services.common.topics import Topics
from services.registration.client import signed_headers
from tests.integration.test_registration_kafka import client_for
from tests.kafka_tools import read_all
from tests.platform import wait_for
from tests.samples import registration_body

COMMAND = Path(sys.executable).with_name("buurt-registration")


def partners(*args: str, file: Path) -> dict[str, str]:
    done = subprocess.run([str(COMMAND), "partners", *args, "--file", str(file)], check=True, capture_output=True,
                          text=True, timeout=60)
    return dict(line.split("=", 1) for line in done.stdout.splitlines() if line.startswith(("api_key=", "signing")))


def send(client: TestClient, credentials: dict[str, str], body: dict[str, Any]) -> int:
    raw = json.dumps(body).encode()
    headers = signed_headers(credentials["api_key"], credentials["signing_secret"], "POST", "/v1/registrations", raw)
    return int(client.post("/v1/registrations", content=raw, headers=headers).status_code)


def test_a_partner_added_by_command_sends_at_once_and_is_rotated_and_disabled_live(
        kafka_bootstrap: str, redis_url: str, topics: Topics, tmp_path: Path) -> None:
    file = tmp_path / "partners.yaml"
    shutil.copy(SEEDED_PARTNERS, file)
    allowed = CurrentAllowedEvents(file)  # what the consent worker decides with
    with client_for(kafka_bootstrap, redis_url, topics, partners_file=file) as client:
        first = partners("add", "ambachtshuis", "--name", "Ambachtshuis Mechelen", file=file)
        assert set(first) == {"api_key", "signing_secret"}
        assert first["api_key"] not in file.read_text()  # only its hash
        assert wait_for(lambda: send(client, first, registration_body()) == 202, timeout=15)
        assert wait_for(lambda: "registration.submitted" in allowed.get("ambachtshuis", frozenset()), timeout=15)

        second = partners("rotate-key", "ambachtshuis", "--revoke-old", file=file)
        assert set(second) == {"api_key"}
        rotated = {**second, "signing_secret": first["signing_secret"]}
        assert wait_for(lambda: send(client, first, registration_body()) == 401, timeout=15)
        assert send(client, rotated, registration_body()) == 202

        partners("disable", "ambachtshuis", file=file)
        assert wait_for(lambda: send(client, rotated, registration_body()) == 403, timeout=15)
        assert wait_for(lambda: allowed.get("ambachtshuis") == frozenset(), timeout=15)
        assert client.get("/readyz").json()["tasks"]["partners-file"]["healthy"] is True

    published = [codec.decode(events.RegistrationSubmitted, record.value)
                 for record in asyncio.run(read_all(kafka_bootstrap, topics.submitted, expect=2))]
    assert [event.partner_id for event in published] == ["ambachtshuis", "ambachtshuis"]


def test_a_broken_edit_leaves_the_last_good_registry_in_force_and_shows_in_readyz_without_its_secrets(
        kafka_bootstrap: str, redis_url: str, topics: Topics, tmp_path: Path) -> None:
    file = tmp_path / "partners.yaml"
    shutil.copy(SEEDED_PARTNERS, file)
    with client_for(kafka_bootstrap, redis_url, topics, partners_file=file) as client:
        demo = {"api_key": "demo-unizo-winkelhier", "signing_secret": "demo-secret-unizo-winkelhier"}
        file.write_text(file.read_text().replace("allowed_events: [registration.submitted", "allowed_events: [nonsense",
                                                 1))
        assert wait_for(lambda: partners_file(client)["healthy"] is False, timeout=15)
        assert partners_file(client)["last_error"] == "invalid: allowed_events.0"
        assert client.get("/readyz").status_code == 200  # it still works: not taken out of rotation for an edit
        assert send(client, demo, registration_body()) == 202  # the last good registry
        file.write_text(file.read_text().replace("signing_secret: demo-secret-gemeenten", "signing_secret: [oops"))
        assert wait_for(lambda: partners_file(client)["last_error"].startswith("ParserError at line"), timeout=15)
        assert "demo-secret" not in json.dumps(client.get("/readyz").json())
        shutil.copy(SEEDED_PARTNERS, file)
        assert wait_for(lambda: partners_file(client)["healthy"] is True, timeout=15)


def partners_file(client: TestClient) -> dict[str, Any]:
    report: dict[str, Any] = client.get("/readyz").json()["tasks"]["partners-file"]
    return report
