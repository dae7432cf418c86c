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
        r"ledger: (\d+) orders, (\d+) charged, (\d+) dead letters?.*?, (\d+) unaccounted:"
        r" nothing lost; balance ([\d.]+) \(charged orders: ([\d.]+)\)",
        out,
    )
    final = re.search(
        r"supervise: stopped /shop after [\d.]+s: (\d+) failures?, (\d+) restarts?,"
        r" (\d+) dead letters?",
        out,
    )
    breaker = re.search(r"gateway: breaker 'provider' closed, (\d+) calls, 0 failed", out)
    assert chaos, out
    assert breaker, out
    assert gateway, out
    assert ledger, out
    assert final, out
    assert ledger[5] == ledger[6]  # the balance is the sum of the charged orders
    return {
        "injected": int(chaos[1]),
        "retried": int(gateway[1]),
        "orders": int(ledger[1]),
        "charged": int(ledger[2]),
        "dead": int(ledger[3]),
        "unaccounted": int(ledger[4]),
        "failures": int(final[1]),
        "restarts": int(final[2]),
        "dead_letters": int(final[3]),
        "breaker_calls": int(breaker[1]),
    }


@pytest.mark.parametrize("tree", ["tree.toml", "tree.yaml"])
def test_the_shop_runs_loses_nothing_and_summarizes(tree: str) -> None:
    result = run(SHOP / tree, "1")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"supervise: started /shop (11 actors) from {SHOP / tree}"
    numbers = summary(result.stdout)
    assert numbers["orders"] >= 10
    assert numbers["unaccounted"] == 0
    assert numbers["orders"] == numbers["charged"] + numbers["dead"]
    # Order 7 fails by the demo's seed, so a one-second run has at least one failure.
    assert numbers["injected"] >= 1
    # The gateway's retried charges failed once each, were resumed (no restart) and then
    # charged: they are failures but not dead letters.
    assert numbers["retried"] >= 1
    assert numbers["injected"] == numbers["dead"]
    assert numbers["failures"] == numbers["injected"] + numbers["retried"]
    assert numbers["dead_letters"] == numbers["dead"]
    assert numbers["breaker_calls"] == numbers["charged"]  # each charge went through it
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
        assert gateway.args == {"ledger": {"ref": "../ledger"}, "flaky_rate": 0.1}


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
        await asyncio.sleep(0.5)
        report = await ledger.ask("report")
    charged = int(report.split(" charged")[0].rsplit(" ", 1)[1])
    assert charged >= 5  # the workers' gateway ref and the gateway's ledger ref followed
