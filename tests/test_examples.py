"""Every runnable example runs (the docs include their code)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from examples import quickstart

ROOT = Path(__file__).resolve().parents[1]


async def test_the_quickstart_counts_restarts_and_reports_the_dead_letter() -> None:
    outcome = await quickstart.main()
    assert outcome == {"count": 0, "dead_letters": 1}


@pytest.mark.real_time
def test_the_quickstart_runs_as_a_module() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "examples.quickstart"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "count: 3" in result.stdout
    assert "count after restart: 0" in result.stdout
    assert "dead letters: {'failed': 1}" in result.stdout


def test_the_supervision_tutorial_restarts_then_gives_up_with_the_chain(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from actors.testing import run_virtual
    from examples.supervision import tree

    assert run_virtual(tree.main()) == {"closed": True}
    out = capsys.readouterr().out
    assert "charge failed: https://pay.example refused to charge -5" in out
    assert "balance: 42" in out
    assert "the shop gave up:" in out
    chain = out.split("the shop gave up:")[1]
    assert chain.index("actor=/shop)") < chain.index("actor=/shop/payments)")
    assert "TypeError: the ledger does not understand" in chain


@pytest.mark.real_time
def test_the_pool_example_routes_and_answers(capsys: pytest.CaptureFixture[str]) -> None:
    import asyncio

    from examples.pools import resize

    results = asyncio.run(resize.main())
    assert len(results) == 8
    assert {line.split(" by ")[1] for line in results} == {f"routee-{i}" for i in range(4)}
    out = capsys.readouterr().out
    [pair] = [line for line in out.splitlines() if " | " in line]
    first, again = pair.split(" | ")
    assert first.split(" by ")[1] == again.split(" by ")[1]


def test_the_scatter_example_gathers_answers_and_tail_chops(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from actors.testing import run_virtual
    from examples.pools import quotes

    gathered, quick = run_virtual(quotes.main())
    assert [(reply.target.name, reply.value) for reply in gathered.replies] == [
        ("routee-1", 101),
        ("routee-0", 100),
    ]
    assert [ref.name for ref in gathered.timed_out] == ["routee-2"]
    assert [ref.name for ref in quick.asked] == ["routee-0", "routee-1"]
    assert quick.values == (101,)
    out = capsys.readouterr().out
    assert "best: 100" in out
    assert "fastest: routee-1 101" in out
    assert "('routee-2', 'ActorFailed')" in out


async def test_a_pool_works_as_a_child_in_a_supervision_tree() -> None:
    from actors import ActorSystem
    from examples.pools import resize

    async with ActorSystem("media") as system:
        await system.spawn(resize.Media, name="media")
        pool = system.lookup("/media/thumbnails")
        assert pool is not None
        assert (await pool.ask(("x.jpg", 32))).startswith("x.jpg@32px by routee-")


@pytest.mark.real_time
def test_the_observability_example_logs_json_with_correlation_and_serves_metrics() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "examples.observability.service"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    logs = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    started = [line for line in logs if line["event"] == "checkout.started"]
    assert [(line["correlation_id"], line["actor"]) for line in started] == [
        ("req-17", "/shop/checkout"),
        ("req-18", "/shop/checkout"),
    ]
    [failed] = [line for line in logs if line["event"] == "actor.failed"]
    assert failed["correlation_id"] == "req-18"
    assert failed["exception"][0]["exc_type"] == "ValueError"
    assert 'actors_messages_processed_total{actor_class="Checkout"} 1.0' in result.stdout
    assert 'actors_messages_failed_total{actor_class="Checkout"} 1.0' in result.stdout
    assert '"status": "degraded"' in result.stdout  # a restart within the window


@pytest.mark.real_time
def test_the_cluster_example_runs_two_nodes_in_two_processes() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "examples.cluster.run"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "A-1: approved=True by payments" in result.stdout
    assert "A-2: approved=False by payments" in result.stdout
    assert "nodes stopped with exit codes [0, 0]" in result.stdout


@pytest.mark.real_time
def test_the_cluster_pool_example_spreads_work_over_both_nodes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import asyncio

    from examples.cluster import pool

    per_node = asyncio.run(pool.main())
    assert sum(per_node.values()) == 40
    # NATS picks the member per message; a burst is usually, not always, split.
    assert set(per_node) <= {"worker-1", "worker-2"}
    assert "handled per node: {'worker-1': " in capsys.readouterr().out


@pytest.mark.real_time
def test_the_durable_pool_example_does_each_stored_job_once(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import asyncio

    from examples.cluster import durable_pool

    done = asyncio.run(durable_pool.main())
    assert len(done) == 41  # the 40 jobs stored before any worker ran, and the ask
    assert set(done.values()) == {1}  # each once, the one that failed first included
    out = capsys.readouterr().out
    assert "asked: cover.jpg on a worker" in out
    assert "jobs done: 41 - each once: True" in out


def test_the_deployment_configs_build(monkeypatch: pytest.MonkeyPatch) -> None:
    from examples.cluster import deploy

    system = deploy.replicated_node("payments-1")
    assert system.name == "shop"
    monkeypatch.setenv("NATS_PASSWORD", "from-the-environment")
    config = deploy.config_with_password()
    assert config.password == "from-the-environment"
    assert "from-the-environment" not in repr(config)
    assert deploy.config_with_tls().tls is not None


@pytest.mark.real_time
def test_the_durable_events_example_charges_once_and_dead_letters_the_poison_order() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "examples.durable.billing"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    charged = [line for line in result.stdout.splitlines() if line.startswith("charged ")]
    assert charged == ["charged A-1: 1250 cents", "charged A-3: 990 cents"]
    assert "dead letter after 3 deliveries: OrderPaid(order_id='A-2', cents=-5)" in result.stdout
