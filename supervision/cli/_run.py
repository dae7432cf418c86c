"""``supervise run FILE``: start the tree, serve it until a signal, ``--for`` or its end."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import signal
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from actors import ActorStartError, ClusterConfig, NodeUnreachable, run
from actors.logging import configure
from supervision.cli._output import print_chain, report, say, summary
from supervision.cli._reload import Reloader, ignore_sighup_until_served
from supervision.cli._servers import serve_metrics, serve_ui
from supervision.cli._signals import Signals, StopRequested
from supervision.config._build import create_system, spawn_tree
from supervision.config._cluster import cluster_config, part_for_node
from supervision.config._error import ConfigError
from supervision.config._spec import INFINITY, TreeSpec
from supervision.config._tree import load_tree

__all__ = ["run_command"]


def run_command(options: argparse.Namespace) -> int:
    loop_factory = _loop_factory(options.loop)
    if loop_factory is None:
        return 2
    # Signals are handled from here on, before the tree's modules are imported: a signal
    # while loading stops the command gracefully (nothing has started yet).
    signals = Signals(say)
    signals.install()
    ignore_sighup_until_served()
    level = options.log_level
    configure(options.log_format, level, short_tracebacks=level != "debug")
    try:
        signals.loading = True
        try:
            spec = load_tree(options.file)
            cluster = None
            if spec.cluster is not None or options.node or options.nats:
                cluster = cluster_config(
                    spec.cluster, node=options.node, servers=options.nats, source=options.file
                )
                spec = part_for_node(spec, cluster.node, source=options.file)
        finally:
            signals.loading = False
    except StopRequested:
        say("stopped while loading the tree: nothing was started")
        return 0
    except ConfigError as error:
        report(error)
        return 2
    # Not asyncio.run: its end waits without limit for every task left, and a task that
    # ignores cancellation (already abandoned and reported by the shutdown) would keep the
    # process alive for ever. actors.run leaves it behind, reported.
    left: list[asyncio.Task[Any]] = []
    code = run(_serve(spec, options, signals, left, cluster), loop_factory=loop_factory)
    abandoned = [task for task in left if not task.done()]
    stuck = [
        thread
        for thread in threading.enumerate()
        if thread is not threading.main_thread() and not thread.daemon and thread.is_alive()
    ]
    if abandoned or stuck:
        names = [task.get_name() for task in abandoned] + [thread.name for thread in stuck]
        say(f"exiting without waiting for what ignored cancellation: {', '.join(names)}")
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)  # the interpreter's own exit would wait for a thread
    return code


def _loop_factory(name: str) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """How to make the event loop ``--loop`` names, or None (reported) when its package is
    missing."""
    if name == "asyncio":
        return asyncio.new_event_loop
    try:
        module = importlib.import_module(name)
    except ImportError as error:
        say(
            f"--loop {name} needs the {name} package, which cannot be imported ({error});"
            f" install it (pip install {name}) or leave --loop out",
            sys.stderr,
        )
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = module.new_event_loop
    return factory


async def _serve(
    spec: TreeSpec,
    options: argparse.Namespace,
    signals: Signals,
    left: list[asyncio.Task[Any]],
    cluster: ClusterConfig | None = None,
) -> int:
    """Run the tree until a signal, ``--for`` or its end; ``left`` receives the tasks still
    pending when it returns (those the shutdown abandoned)."""
    loop = asyncio.get_running_loop()
    requested = signals.attach(loop)
    system = create_system(spec, cluster)
    if cluster is not None:
        try:
            await system.start()
        except NodeUnreachable as error:
            say(f"cannot join the cluster: {error}", sys.stderr)
            return 1
        say(f"joined the cluster as node {cluster.node}")
    shutdown = spec.system.shutdown
    timeout = None if shutdown == INFINITY else float(shutdown)
    close_metrics = None
    if options.metrics_port is not None:
        close_metrics = await serve_metrics(system, options.metrics_port, options.metrics_host)
        if close_metrics is None:
            return 1
    close_ui = None
    if options.ui_port is not None:
        close_ui = await serve_ui(system, options)
        if close_ui is None:
            if close_metrics is not None:
                await close_metrics()
            return 1
    started = loop.time()
    close_control: Callable[[], Awaitable[None]] | None = None
    try:
        if signals.received is not None:
            say("stopped before the tree started")
            await system.shutdown(timeout)
            return 0
        try:
            root = await spawn_tree(system, spec)
        except ActorStartError as error:
            print_chain("the tree failed to start:", error)
            await system.shutdown(timeout)
            return 1
        reloader = Reloader(system, options.file, cluster)
        loop.add_signal_handler(signal.SIGHUP, reloader.on_sighup)
        if options.control is not None:
            close_control = await reloader.serve(options.control)
        say(f"started {root.path} ({len(system.actors)} actors) from {options.file}")
        closed = asyncio.ensure_future(system.wait_closed())
        timer = None
        if options.for_seconds is not None:
            timer = asyncio.ensure_future(asyncio.sleep(options.for_seconds))
        waits = {
            closed,
            asyncio.ensure_future(requested.wait()),
            asyncio.ensure_future(root.wait_stopped()),
            *([] if timer is None else [timer]),
        }
        _, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        if signals.received is None and not closed.done():
            if timer is not None and timer.done():
                say(f"{options.for_seconds:g}s elapsed: shutting down gracefully")
            elif not root.is_alive:
                say(f"{root.path} stopped: shutting down")
        await system.shutdown(timeout)
        for waiting in pending - {closed}:
            waiting.cancel()
        await asyncio.gather(*(pending - {closed}), return_exceptions=True)
        code = 0
        try:
            await closed
        except Exception as error:
            print_chain(f"{root.path} gave up:", error)
            code = 1
        summary(system, root.path, loop.time() - started)
        return code
    finally:
        if close_control is not None:
            await close_control()
        if close_ui is not None:
            await close_ui()
        if close_metrics is not None:
            await close_metrics()
        current = asyncio.current_task()
        left.extend(task for task in asyncio.all_tasks() if task is not current)
