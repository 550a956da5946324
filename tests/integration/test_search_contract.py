"""schemathesis against the search service's OpenAPI document (a real process on real Redis): no 5xx, every
response as documented. A short run here; `make chaos` runs a long one."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from services.common.topics import Topics
from tests.contract import explore_all
from tests.platform import Platform, running_platform
from tests.search_samples import built


@pytest.fixture(scope="module")
def search(kafka_bootstrap: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    topics = Topics("stsearch.")
    built(redis_url, f"{topics.prefix}buurt:")  # an empty index, as a search service that does not consume finds it
    with running_platform(kafka_bootstrap, redis_url, topics, tmp_path_factory.mktemp("st-logs"),
                          names=("buurt-search",), extra_env={"SEARCH_CONSUME": "false"}) as platform:
        yield platform


def test_search_api_never_fails_and_always_answers_per_its_schema(search: Platform) -> None:
    seen = explore_all(search.search_url, sign=False)
    assert seen[200] > 0, seen
    assert seen[422] > 0, seen


def test_log_of_the_search_contract_run_has_no_server_errors(search: Platform) -> None:
    log = Path(search.logs / "buurt-search.log").read_text()
    assert "Application startup complete" in log  # the log it scans is the service's
    assert "Traceback" not in log
