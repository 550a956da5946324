"""A shopper in headless Chromium (Debian's chromium + chromium-driver, driven by Selenium): search by postcode,
filter by a category, see the expected business; on a phone-sized screen (390 x 844) the first result shows without
scrolling. Screenshots, phone-sized and desktop, are saved under test-artifacts/. Accessibility: axe-core (the npm
package, injected into the page) finds no serious or critical violation on the Dutch and French pages, with and
without results."""

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from services.common import codec
from services.common.kafka_admin import create_topics
from services.common.topics import Topics
from services.infra import apt, npm
from tests.kafka_tools import produce
from tests.platform import running_platform, wait_for
from tests.search_samples import listing

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = apt.ensure("chromium", ["chromium", "chromium-driver"])
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=412,1400"):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(apt.ensure("chromedriver", ["chromium-driver"])))
    try:
        yield driver
    finally:
        driver.quit()


AXE_VERSION = "4.14.1"


def axe(browser: webdriver.Chrome, url: str) -> list[str]:
    """The serious and critical violations axe-core finds on the page (rule id and the elements' selectors)."""
    browser.get(url)
    browser.execute_script(npm.package_file("axe-core", AXE_VERSION, "axe.min.js").read_text())
    found = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations), e => done([String(e)]));")
    return [f"{v['id']}: {[n['target'] for n in v['nodes']]}" if isinstance(v, dict) else v
            for v in found if not isinstance(v, dict) or v.get("impact") in ("serious", "critical")]


def test_shopper_finds_a_farm_shop_by_postcode_and_category(
        browser: webdriver.Chrome, kafka_bootstrap: str, redis_url: str, tmp_path: Path) -> None:
    topics = Topics(f"web{uuid.uuid4().hex[:8]}.")
    asyncio.run(create_topics(kafka_bootstrap, topics))
    shops = [listing("0000000097", 51.045, 3.72, "Hoeve De Linde", ("hoeveproducten",)),
             listing("0000000196", 51.05, 3.73, "Bakkerij Claes", ("bakker",))]
    asyncio.run(produce(kafka_bootstrap, topics.listings,
                        [(codec.key(s.enterprise_number), codec.encode(s)) for s in shops]))
    with running_platform(kafka_bootstrap, redis_url, topics, tmp_path, names=("buurt-search",)) as platform:
        assert wait_for(lambda: httpx.get(f"{platform.search_url}/v1/search",
                                          params={"postcode": "9000"}).json()["total"] == 2)
        browser.get(f"{platform.search_url}/")
        browser.find_element(By.ID, "place").send_keys("9000")
        browser.find_element(By.CSS_SELECTOR, "input[name=category][value=hoeveproducten]").click()
        browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        WebDriverWait(browser, 15).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR,
                                                                                          ".results")))
        names = [h.text for h in browser.find_elements(By.CSS_SELECTOR, ".results h3")]
        ARTIFACTS.mkdir(exist_ok=True)
        browser.save_screenshot(str(ARTIFACTS / "shopper-search.png"))
        browser.set_window_size(390, 844)
        browser.get(f"{platform.search_url}/?place=9000")
        first_result_bottom = browser.execute_script(
            "return document.querySelector('.results li').getBoundingClientRect().bottom")
        visible = browser.execute_script("return window.innerHeight")
        browser.save_screenshot(str(ARTIFACTS / "shopper-phone.png"))
        browser.set_window_size(1280, 900)
        browser.get(f"{platform.search_url}/?place=9000&category=hoeveproducten")
        browser.save_screenshot(str(ARTIFACTS / "shopper-desktop.png"))
        violations = {query: axe(browser, f"{platform.search_url}/?{query}")
                      for query in ("", "lang=fr", "place=9000", "place=9000%20Gand&lang=fr", "place=9999")}
    assert names == ["Hoeve De Linde"]
    assert first_result_bottom <= visible  # the whole first result above the fold of a phone
    assert all(found == [] for found in violations.values()), violations
    for shot in ("shopper-search.png", "shopper-phone.png", "shopper-desktop.png"):
        assert (ARTIFACTS / shot).stat().st_size > 10_000
