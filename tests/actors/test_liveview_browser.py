"""The live view in a real browser: headless Chromium (Debian's ``chromium``) driven by
Playwright, on the shop demo's tree running with its live view."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from examples.shop.actors import Order
from tests.actors._liveview_shop import RunningShop, quiet_shop_tree

# A browser, sockets and a system on its own thread: real time is the point.
pytestmark = pytest.mark.real_time


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium")
    assert executable is not None, "Debian's chromium package is needed (.ci/run installs it)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable)
        yield launched
        launched.close()


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[RunningShop]:
    running = RunningShop(quiet_shop_tree(tmp_path))
    yield running
    running.stop()


@pytest.fixture
def page(browser: Browser, shop: RunningShop) -> Iterator[Page]:
    opened = browser.new_page(viewport={"width": 1400, "height": 900})
    opened.goto(f"http://127.0.0.1:{shop.port}/")
    yield opened
    opened.close()


def publish_orders(shop: RunningShop, count: int) -> None:
    async def publish() -> None:
        for number in range(1, count + 1):
            await shop.system.publish("orders.created", Order(number, 100 * number))
        await shop.system.wait_idle()

    shop.call(publish)


def shown(page: Page, key: str) -> str:
    return page.inner_text(f"#stat-{key}")


def test_the_page_shows_the_tree_and_the_counts_of_system_statistics(
    shop: RunningShop, page: Page
) -> None:
    publish_orders(shop, 12)
    statistics = shop.do(shop.system.statistics)
    assert statistics.processed > 0
    # The page catches up with the next throttled update.
    page.wait_for_function(
        "expected => document.getElementById('stat-processed').textContent === expected",
        arg=str(statistics.processed),
        timeout=5000,
    )
    assert shown(page, "live_actors") == str(statistics.live_actors)
    assert shown(page, "failed") == str(statistics.failed)
    assert shown(page, "restarts") == str(statistics.restarts)
    assert shown(page, "dead_letters") == str(statistics.dead_letters)
    paths = shop.do(lambda: sorted(shop.system._registry))
    rows = page.eval_on_selector_all("li.actor", "items => items.map(i => i.dataset.path)")
    assert sorted(rows) == paths
    assert len(rows) == statistics.live_actors
    ledger = shop.do(lambda: shop.system.lookup("/shop/payments/ledger").statistics())
    row = page.locator('[data-path="/shop/payments/ledger"] > .row')
    assert row.locator(".processed").inner_text() == f"✓ {ledger.processed}"
    assert row.locator(".subs").inner_text() == "⇢ orders.created, system.dead_letters"
    payments = page.locator('[data-path="/shop/payments"] > .row .info').inner_text()
    assert payments == "rest_for_one, restarts 0/3 in 5s; backoff 0.1s..5s"
    pool = page.locator('[data-path="/shop/workers"] > .row .info').inner_text()
    assert pool == "pool of 4/4, round_robin, restarts 0/20 in 5s"
    # Collapsing a supervisor hides its children.
    page.click('[data-path="/shop/payments"] > .row .toggle')
    page.wait_for_selector('[data-path="/shop/payments/ledger"]', state="hidden")


def test_an_injected_failure_shows_as_a_restart_within_a_second(
    shop: RunningShop, page: Page
) -> None:
    gateway = '[data-path="/shop/payments/gateway"]'
    page.wait_for_selector(f"{gateway} > .row .restarts")
    assert page.inner_text(f"{gateway} > .row .restarts") == "↻ 0"
    # The gateway expects a Charge: anything else makes its handler raise.
    shop.call(lambda: shop.system.lookup("/shop/payments/gateway").tell("not a charge"))
    injected = time.monotonic()
    page.wait_for_function(
        f"() => document.querySelector('{gateway} > .row .restarts').textContent === '↻ 1'",
        timeout=1000,
    )
    assert time.monotonic() - injected < 1.0
    assert page.inner_text(f"{gateway} > .row .failed") == "✗ 1"
    page.wait_for_selector(f"{gateway} > .row.alert")
    budget = page.locator('[data-path="/shop/payments"] > .row .info').inner_text()
    assert budget.startswith("rest_for_one, restarts 1/3 in 5s")
    timeline = page.locator("#timeline")
    timeline.locator("li[data-kind=restart]", has_text="/shop/payments/gateway").wait_for()
    assert "AttributeError" in timeline.locator("li[data-kind=failure]").first.inner_text()
    assert "failed 1" in page.inner_text("#reasons")
    # The side panel: the actor's statistics and its recent failure.
    page.click(f"{gateway} > .row .name")
    page.wait_for_selector("#panel-failures li[data-kind=failure]")
    assert "AttributeError" in page.inner_text("#panel-failures")
    assert page.inner_text("#panel-stats [data-stat=restarts] td:last-child") == "1"
    assert page.locator("#panel-restarts li[data-kind=restart]").count() == 1


def test_the_page_says_when_it_lost_the_server_and_reconnects(
    shop: RunningShop, page: Page
) -> None:
    page.wait_for_selector("body[data-connection=open]")
    assert page.is_hidden("#banner")
    shop.call(shop.server.close)
    page.wait_for_selector("body[data-connection=closed]", timeout=3000)
    assert page.is_visible("#banner")
    assert "Disconnected" in page.inner_text("#banner")
    shop.restart_server()  # on the same port
    page.wait_for_selector("body[data-connection=open]", timeout=5000)
    page.wait_for_selector("#banner", state="hidden")


def test_the_page_shows_other_nodes_side_by_side(
    shop: RunningShop, browser: Browser, tmp_path: Path
) -> None:
    other = RunningShop(quiet_shop_tree(tmp_path, name="store"))
    try:
        here = f"http://127.0.0.1:{shop.port}/"
        there = f"http://127.0.0.1:{other.port}/"
        # Each node lists the other: its page shows the other's tree, and lets it read its own.
        shop.restart_server(peers=(there,))
        other.restart_server(peers=(here,))
        page = browser.new_page(viewport={"width": 1600, "height": 900})
        try:
            page.goto(here)
            column = page.locator(f'[data-node="{there}"]')
            column.locator('li.actor[data-path="/store/payments/gateway"]').wait_for()
            assert column.locator(".peer-name").inner_text().startswith("store (")
            assert page.locator('[data-node="local"] li.actor[data-path="/shop"]').count() == 1
            # The other node's actors open in the side panel too, read from that node.
            column.locator('[data-path="/store/chaos"] > .row .name').click()
            page.wait_for_selector("#panel-stats [data-stat=class]")
            assert page.inner_text("#panel-title") == f"{there} /store/chaos"
            # When the other node goes away, its column says so; this node stays live.
            other.call(other.server.close)
            column.locator(".peer-connection", has_text="disconnected").wait_for()
            assert page.get_attribute("body", "data-connection") == "open"
        finally:
            page.close()
    finally:
        other.stop()
