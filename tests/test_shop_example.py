"""The shop demo (``make demo``), end to end: ``supervise run`` on the example's files."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from pathlib import Path

import pytest

from supervision import PoolSpec, SupervisorSpec

# Subprocesses of the real command: real time is the point.
pytestmark = pytest.mark.real_time

ROOT = Path(__file__).resolve().parents[1]
SHOP = ROOT / "examples" / "shop"


def run(tree: Path, seconds: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "supervision", "run", str(tree), "--for", seconds],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def summary(out: str) -> dict[str, int]:
    chaos = re.search(r"chaos: (\d+) failures? injected", out)
    gateway = re.search(r"gateway: (\d+) charges retried", out)
    ledger = re.search(
        r"ledger: (\d+) orders, (\d+) charged \((\d+) after a retry\), (\d+) dead letters?"
        r"(?: \(([^)]*)\))?, (\d+) unaccounted: nothing lost;"
        r" balance ([\d.]+) \(charged orders: ([\d.]+)\)",
        out,
    )
    final = re.search(
        r"supervise: stopped /shop after [\d.]+s: (\d+) failures?, (\d+) restarts?,"
        r" (\d+) dead letters?",
        out,
    )
    breaker = re.search(
        r"gateway: breaker 'provider' opened (\d+)x, closed again (\d+)x, now (\w+);"
        r" (\d+) calls, (\d+) failed, (\d+) refused",
        out,
    )
    assert chaos, out
    assert breaker, out
    assert gateway, out
    assert ledger, out
    assert final, out
    assert ledger[7] == ledger[8]  # the balance is the sum of the charged orders
    reasons = {}
    for entry in (ledger[5] or "").split(", "):
        if entry:
            reason, count = entry.split(" ")
            reasons[reason] = int(count)
    assert sum(reasons.values()) == int(ledger[4]), out
    return {
        "injected": int(chaos[1]),
        "gateway_retried": int(gateway[1]),
        "orders": int(ledger[1]),
        "charged": int(ledger[2]),
        "charged_after_retry": int(ledger[3]),
        "dead": int(ledger[4]),
        "unaccounted": int(ledger[6]),
        "failures": int(final[1]),
        "restarts": int(final[2]),
        "dead_letters": int(final[3]),
        "breaker_opened": int(breaker[1]),
        "breaker_closed": int(breaker[2]),
        "breaker_calls": int(breaker[4]),
        "breaker_failures": int(breaker[5]),
        "breaker_refused": int(breaker[6]),
        **{f"dead_{reason}": count for reason, count in reasons.items()},
    }


@pytest.mark.parametrize("tree", ["tree.toml", "tree.yaml"])
def test_the_shop_runs_trips_its_breaker_loses_nothing_and_summarizes(tree: str) -> None:
    result = run(SHOP / tree, "2")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"supervise: started /shop (11 actors) from {SHOP / tree}"
    numbers = summary(result.stdout)
    assert numbers["orders"] >= 20
    # Every order is accounted for: charged (at once or after a retry) or a dead letter
    # with its reason; the ledger's line adds up.
    assert numbers["unaccounted"] == 0
    assert numbers["orders"] == numbers["charged"] + numbers["dead"]
    assert set(numbers) & {"dead_stopped", "dead_mailbox_full", "dead_timeout"} == set()
    # Order 7 fails by the demo's seed, so every run has at least one injected failure.
    assert numbers["injected"] >= 1
    # The provider's outage (orders 4 to 8) opened the breaker, which refused charges fast,
    # let a trial through once its reset timeout passed, and closed again.
    assert numbers["breaker_opened"] >= 1
    assert numbers["breaker_refused"] >= 1
    assert numbers["breaker_closed"] >= 1
    assert numbers["breaker_failures"] >= 5  # max_failures = 5 in a row opened it
    # The outage's orders failed every attempt: poison messages (max_attempts); orders
    # refused while the breaker was open were charged when the pool tried them again.
    assert numbers["dead_max_attempts"] >= 1
    assert numbers["charged_after_retry"] >= 1
    # The gateway's flaky first attempts were resumed (no restart) and tried again.
    assert numbers["gateway_retried"] >= 1
    assert numbers["restarts"] <= numbers["failures"]  # a failure while stopping is not restarted
    assert lines[-1].startswith("supervise: stopped /shop after")


def test_more_chaos_restarts_more_workers_and_still_loses_nothing(tmp_path: Path) -> None:
    text = (SHOP / "tree.toml").read_text().replace("rate = 0.05", "rate = 0.3")
    tree = tmp_path / "tree.toml"
    tree.write_text(text)
    result = run(tree, "1")
    assert result.returncode == 0, result.stderr
    numbers = summary(result.stdout)
    assert numbers["injected"] >= 3
    assert numbers["unaccounted"] == 0
    assert numbers["orders"] == numbers["charged"] + numbers["dead"]
    assert numbers["restarts"] >= numbers["injected"] - 1


def test_the_shop_hands_peers_over_as_ref_arguments_not_a_lookup_helper() -> None:
    from examples.shop import actors
    from supervision import WorkerSpec, load_tree

    assert not hasattr(actors, "lookup")
    for tree in ("tree.toml", "tree.yaml"):
        spec = load_tree(SHOP / tree)
        payments, _, workers, _ = spec.tree.children
        assert isinstance(workers, PoolSpec)
        assert workers.args == {
            "gateway": {"ref": "../payments/gateway"},
            "chaos": {"ref": "/shop/chaos"},
        }
        assert isinstance(payments, SupervisorSpec)
        gateway = payments.children[1]
        assert isinstance(gateway, WorkerSpec)
        assert gateway.args == {
            "ledger": {"ref": "../ledger"},
            "flaky_rate": 0.1,
            "outage_first": 4,
            "outage_last": 8,
        }


@pytest.mark.actors(virtual_time=True)
async def test_the_shops_refs_reach_a_payments_subtree_recreated_by_the_root() -> None:
    from supervision import create_system, load_tree, spawn_tree

    spec = load_tree(SHOP / "tree.toml")
    async with create_system(spec) as system:
        await spawn_tree(system, spec)
        await system.lookup("/shop/chaos").tell("off")  # type: ignore[union-attr]
        await asyncio.sleep(0.5)  # virtual time: about ten orders
        old_gateway = system.lookup("/shop/payments/gateway")
        payments = system.lookup("/shop/payments")
        assert old_gateway is not None
        assert payments is not None
        payments.kill()  # a permanent child: the root starts it again, as new slots
        await system.wait_idle()
        new_gateway = system.lookup("/shop/payments/gateway")
        ledger = system.lookup("/shop/payments/ledger")
        assert new_gateway is not None
        assert ledger is not None
        assert new_gateway is not old_gateway
        assert not old_gateway.is_alive
        # Virtual time: about forty orders, enough to be past the retries and the breaker's
        # trips that the recreation caught mid-way.
        await asyncio.sleep(2.0)
        report = await ledger.ask("report")
    charged = int(report.split(" charged")[0].rsplit(" ", 1)[1])
    assert charged >= 5  # the workers' gateway ref and the gateway's ledger ref followed
