"""The KBO check end to end: a snapshot loaded with ``buurt-kbo``, then registrations through the real intake and
consent worker — an enterprise the open data does not know is rejected, one registered in a town where it has no
establishment is listed with ``address_unverified`` shown to its partner, and the audit log names the snapshot."""

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.common import codec, events, places
from services.common.categories import VOCABULARY
from services.common.enterprise import with_check_digits
from services.common.kafka_admin import create_topics
from services.common.topics import Topics
from services.kbo import synthetic
from tests.kafka_tools import read_all
from tests.platform import Platform, post, running_platform, search_near_gent, submission, wait_for
from tests.samples import fresh_enterprise_number, registration_body, signed

CONFIRMED, ELSEWHERE, UNKNOWN, STOPPING = (fresh_enterprise_number() for _ in range(4))
# the full extract the module loads, and the update one test applies (the tests run in any order)
SNAPSHOTS = ({"extract_number": 140, "snapshot_date": "2026-11-01"},
             {"extract_number": 141, "snapshot_date": "2026-11-02"})


def farm(number: str, place: places.Locality, street: str, house: str) -> synthetic.Enterprise:
    """A farm shop (a NACE class of 'hoeveproducten') with one establishment."""
    nace = VOCABULARY["hoeveproducten"].nace[0].replace(".", "").ljust(5, "0")
    unit = with_check_digits(f"2{number[1:8]}")
    return synthetic.Enterprise(number=number, legal_person=False, seat=None, name=f"Hoeve {number}",
                                establishments=((unit, synthetic.site_of(place, street, house)),), nace=(nace,))


@pytest.fixture(scope="module")
def platform(kafka_bootstrap: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    topics = Topics(f"e2ekbo{uuid.uuid4().hex[:8]}.")
    asyncio.run(create_topics(kafka_bootstrap, topics))
    work = tmp_path_factory.mktemp("e2e-kbo")
    gent, brugge = places.in_postcode("9000", "Gent"), places.in_postcode("8000", "Brugge")
    assert gent is not None
    assert brugge is not None
    dump = work / "KboOpenData_0140_2026_11_Full.zip"
    population = [*synthetic.population(200), farm(CONFIRMED, gent, "Kortrijksesteenweg", "12"),
                  farm(ELSEWHERE, brugge, "Steenstraat", "5"),
                  farm(STOPPING, gent, "Kortrijksesteenweg", "12")]  # UNKNOWN is not in it
    synthetic.write_full(dump, population, 140, date(2026, 11, 1))
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap, "BUURT_TOPIC_PREFIX": topics.prefix}
    loaded = subprocess.run([sys.executable, "-m", "services.kbo", "load", str(dump), "--store",
                             str(work / "loader.sqlite")], env=env, capture_output=True, text=True, timeout=120,
                            check=False)
    assert loaded.returncode == 0, loaded.stderr
    with running_platform(kafka_bootstrap, redis_url, topics, work / "logs",
                          extra_env={"KBO_LOADER_STORE": str(work / "loader.sqlite")}) as running:
        yield running


def decided(platform: Platform, event_id: str) -> dict[str, Any]:
    assert wait_for(lambda: submission(platform, event_id)["status"] != "received", timeout=60)
    return submission(platform, event_id)


def test_an_enterprise_the_kbo_does_not_know_is_rejected_and_a_known_one_listed(platform: Platform) -> None:
    confirmed = post(platform, "/v1/registrations", registration_body(CONFIRMED, name="Hoeve Ter Linde"))
    unknown = post(platform, "/v1/registrations", registration_body(UNKNOWN, name="Hoeve Nergens"))

    rejected = decided(platform, unknown)
    assert (rejected["status"], rejected["reasons"]) == ("rejected", ["kbo_not_active"])
    assert rejected["kbo_snapshot"] in SNAPSHOTS
    [finding] = rejected["findings"]
    assert "no active enterprise with this number" in finding["sentence"]

    listed = decided(platform, confirmed)
    assert (listed["status"], listed["reasons"]) == ("listed", ["explicit_consent_listing"])
    assert wait_for(lambda: any(hit["enterprise_number"] == CONFIRMED for hit in search_near_gent(platform)))
    assert all(hit["enterprise_number"] != UNKNOWN for hit in search_near_gent(platform))


def test_a_registration_in_a_town_without_an_establishment_is_listed_as_unverified(
        platform: Platform, kafka_bootstrap: str) -> None:
    batch = {"registrations": [registration_body(ELSEWHERE, name="Hoeve Verweg")]}  # claims Gent, KBO: Brugge
    raw = json.dumps(batch).encode()
    path = "/v1/registrations:batch"
    response = httpx.post(f"{platform.registration_url}{path}", content=raw,
                          headers=signed("POST", path, raw, "unizo-winkelhier"), timeout=10)
    assert response.status_code == 200, response.text
    event_id = response.json()["results"][0]["id"]

    listed = decided(platform, event_id)
    assert (listed["status"], listed["reasons"]) == ("listed", ["explicit_consent_listing", "address_unverified"])
    sentences = {f["reason"]: f["sentence"] for f in listed["findings"]}
    assert "please check the address" in sentences["address_unverified"]
    assert wait_for(lambda: any(hit["enterprise_number"] == ELSEWHERE for hit in search_near_gent(platform)))

    audit = [codec.decode(events.AuditRecord, r.value)
             for r in asyncio.run(read_all(kafka_bootstrap, platform.topics.audit, expect=3, timeout=30))]
    record = next(r for r in audit if str(r.source_event_id) == event_id)
    assert {"extract_number": record.kbo_extract, "snapshot_date": str(record.kbo_snapshot_date)} in SNAPSHOTS
    assert record.policy_version == "2026-11.5"
    assert record.reasons == ("explicit_consent_listing", "address_unverified")


def test_an_enterprise_an_update_removes_is_rejected_from_then_on(platform: Platform, tmp_path: Path) -> None:
    listed = post(platform, "/v1/registrations", registration_body(STOPPING, name="Hoeve Stopt"))
    assert decided(platform, listed)["status"] == "listed"

    gent = places.in_postcode("9000", "Gent")
    assert gent is not None
    update = tmp_path / "KboOpenData_0141_2026_11_Update.zip"
    synthetic.write_update(update, [], [farm(STOPPING, gent, "Kortrijksesteenweg", "12")], 141, date(2026, 11, 2))
    applied = subprocess.run([sys.executable, "-m", "services.kbo", "update", str(update)], env=platform.env,
                             capture_output=True, text=True, timeout=120, check=False)
    assert applied.returncode == 0, applied.stderr
    assert "extract 141 (update) of 2026-11-02 in force: 0 enterprises published, 1 removed" in applied.stdout
    assert wait_for(lambda: "buurt_kbo_extract_number 141.0" in httpx.get(
        f"{platform.registration_url}/metrics", timeout=10).text, timeout=30)

    again = post(platform, "/v1/registrations", registration_body(STOPPING, name="Hoeve Stopt"))
    rejected = decided(platform, again)
    assert (rejected["status"], rejected["reasons"]) == ("rejected", ["kbo_not_active"])
    assert rejected["kbo_snapshot"] == {"extract_number": 141, "snapshot_date": "2026-11-02"}
