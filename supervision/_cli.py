"""The ``supervise`` command (also ``python -m supervision``): check or run a tree from a file.

Exit codes:

- 0: ``check``: the file is valid. ``run``: the tree ran and shut down gracefully (after
  SIGINT or SIGTERM, or after ``--for`` seconds, or because its root stopped normally), or
  a signal arrived while the file was still being loaded (nothing had started). Also when
  tasks that ignored cancellation had to be abandoned at the end: they are reported, and
  the process exits without waiting for them.
- 1: ``run``: the tree failed to start, or its root gave up (the cause chain is printed), or
  the metrics or live view port could not be opened, or the live view was asked to bind a
  non-loopback address without a token, or (a cluster node) no NATS server could be reached.
- 2: the file is not valid (every problem is printed), or the command line is wrong.
- 128 + N: a second signal N (130 for SIGINT, 143 for SIGTERM) stopped the process at once,
  in the middle of a graceful shutdown.

``--ui-port N`` serves the live view (``actors.liveview``), read-only unless
``--ui-actions``; a token (``$SUPERVISE_UI_TOKEN``, generated when actions are on and it is
unset) protects its API.

Status lines go to stdout (``supervise: started /shop ...``), problems and logs to stderr.

Logging is configured with ``actors.logging.configure``: ``--log-format console`` (short
exception lines unless ``--log-level debug``) or ``json`` (full tracebacks as data), filtered
by ``--log-level``. The closing summary comes from ``ActorSystem.statistics()``.

Modules named in the file are imported relative to the current directory (as with
``python -m``), then ``PYTHONPATH``; ``--path DIR`` (repeatable) puts DIR before both.
``run --loop uvloop`` runs the tree on uvloop's event loop (``pip install uvloop``).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import importlib.metadata
import os
import secrets
import signal
import sys
import threading
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from actors import ActorStartError, ActorSystem, ClusterConfig, NodeUnreachable, liveview, run
from actors.logging import configure
from actors.metrics import serve
from supervision._cli_signals import Signals, StopRequested
from supervision._config import load_tree
from supervision._config_build import create_system, spawn_tree
from supervision._config_cluster import cluster_config, part_for_node
from supervision._config_error import ConfigError
from supervision._config_spec import (
    INFINITY,
    ChildNode,
    DynamicSupervisorSpec,
    PoolSpec,
    SupervisorSpec,
    TreeSpec,
)
from supervision._config_warnings import tree_warnings

__all__ = ["main"]

PROGRAM = "supervise"
TOKEN_VARIABLE = "SUPERVISE_UI_TOKEN"
_LEVELS = ("debug", "info", "warning", "error", "critical")
_LOOPS = ("asyncio", "uvloop")
_DISTRIBUTION = "actor-supervision"
_FILE_HELP = "the tree's configuration file: .toml, .yaml, .yml or .json"
_PATH_HELP = (
    "import the file's modules from DIR too, ahead of the current directory and PYTHONPATH"
    " (repeatable; the first one given is searched first)"
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``supervise`` command with ``argv`` (default: ``sys.argv[1:]``); return the
    exit code (see the module docstring)."""
    parser = _parser()
    options = parser.parse_args(argv)
    # Modules named in the file are looked up from the current directory first, as with
    # `python -m`; a console script's sys.path starts at its own directory instead.
    # `--path` directories go before it, in the order given.
    for directory in [*reversed(options.path), os.getcwd()]:
        if directory in sys.path:
            sys.path.remove(directory)
    sys.path[:0] = [*options.path, os.getcwd()]
    try:
        if options.command == "check":
            return _check(options.file)
        return _run(options)
    except KeyboardInterrupt:
        return 128 + signal.SIGINT


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROGRAM,
        description="Check or run a supervision tree declared in a TOML, YAML or JSON file.",
        epilog="Modules named in FILE are imported relative to the current directory and"
        " PYTHONPATH; --path DIR adds a directory.",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {_version()} (Python {_python()})"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    check = commands.add_parser(
        "check",
        help="validate FILE; print the tree and the warnings (exit 0, or 2 if invalid)",
        description="Validate FILE without starting anything: import the modules it names,"
        " check every field, print the tree and its warnings.",
    )
    check.add_argument("file", metavar="FILE", help=_FILE_HELP)
    check.add_argument(
        "--path", action="append", type=_directory, default=[], metavar="DIR", help=_PATH_HELP
    )
    run = commands.add_parser(
        "run",
        help="run the tree in FILE until SIGINT/SIGTERM (graceful; a second signal stops at"
        " once) or until its root gives up (exit 1)",
        description="Run the tree in FILE until SIGINT or SIGTERM (a graceful shutdown; a"
        " second signal stops at once) or until its root gives up (exit 1).",
    )
    run.add_argument("file", metavar="FILE", help=_FILE_HELP)
    run.add_argument(
        "--path", action="append", type=_directory, default=[], metavar="DIR", help=_PATH_HELP
    )
    run.add_argument(
        "--loop",
        choices=_LOOPS,
        default="asyncio",
        help="the event loop: asyncio's own (default) or uvloop (needs the uvloop package)",
    )
    run.add_argument(
        "--for",
        dest="for_seconds",
        type=_positive_seconds,
        metavar="SECONDS",
        help="shut down gracefully after SECONDS",
    )
    run.add_argument(
        "--metrics-port",
        type=_port,
        metavar="N",
        help="serve /metrics (Prometheus) and /healthz on port N (0: any free port)",
    )
    run.add_argument(
        "--metrics-host",
        default="127.0.0.1",
        metavar="ADDRESS",
        help="the address the metrics server binds (default 127.0.0.1; 0.0.0.0 for all)",
    )
    run.add_argument(
        "--ui-port",
        type=_port,
        metavar="N",
        help="serve the live view of the tree (a web page and its JSON API) on port N",
    )
    run.add_argument(
        "--ui-host",
        default="127.0.0.1",
        metavar="ADDRESS",
        help="the address the live view binds (default 127.0.0.1; any other needs a token"
        f" in ${TOKEN_VARIABLE})",
    )
    run.add_argument(
        "--ui-actions",
        action="store_true",
        help=f"let the live view stop, kill and restart actors, with the token in"
        f" ${TOKEN_VARIABLE} (generated and printed when unset)",
    )
    run.add_argument(
        "--ui-peer",
        action="append",
        default=[],
        metavar="URL",
        help="another node's live view to show beside this one (repeatable)",
    )
    run.add_argument(
        "--node",
        metavar="NAME",
        help="run as cluster node NAME (overrides [cluster] node)",
    )
    run.add_argument(
        "--nats",
        action="append",
        metavar="URL",
        help="a NATS server of the cluster (repeatable; overrides [cluster] servers)",
    )
    run.add_argument("--log-format", choices=("console", "json"), default="console")
    run.add_argument("--log-level", choices=_LEVELS, default="info")
    return parser


def _version() -> str:
    try:
        return importlib.metadata.version(_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:  # run from a source tree, not installed
        return "(not installed)"


def _python() -> str:
    return ".".join(str(part) for part in sys.version_info[:3])


def _directory(text: str) -> str:
    path = Path(text).expanduser()
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"not a directory: {text!r}")
    return str(path.resolve())


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected seconds > 0, got {text!r}")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 0 to 65535, got {value}")
    return value


def _say(text: str, stream: TextIO | None = None) -> None:
    print(f"{PROGRAM}: {text}", file=stream or sys.stdout, flush=True)


# ---------------------------------------------------------------------------- check


def _report(error: ConfigError) -> None:
    print(error, file=sys.stderr)
    for note in getattr(error, "__notes__", ()):
        print(f"note: {note}", file=sys.stderr)


def _check(file: str) -> int:
    try:
        spec = load_tree(file)
    except ConfigError as error:
        _report(error)
        return 2
    print(f"{file}: valid")
    for line in render_tree(spec):
        print(line)
    warnings = tree_warnings(spec)
    for warning in warnings:
        print(f"warning: {warning.message}")
    print(f"{len(warnings)} warning{'s' if len(warnings) != 1 else ''}")
    return 0


def render_tree(spec: TreeSpec) -> list[str]:
    """The tree as ``check`` prints it: one line per node with its kind, strategy or actor
    class, and restart type."""
    system = spec.system
    lines = [f"system {system.name!r} (graceful shutdown within {_seconds(system.shutdown)})"]
    rows: list[tuple[str, str]] = [(spec.tree.name, _describe(spec.tree, root=True))]
    _rows(spec.tree, "", rows)
    width = max(len(label) for label, _ in rows)
    lines.extend(f"{label.ljust(width)}  {text}" for label, text in rows)
    return lines


def _rows(node: SupervisorSpec, prefix: str, rows: list[tuple[str, str]]) -> None:
    for index, child in enumerate(node.children):
        last = index == len(node.children) - 1
        rows.append((f"{prefix}{'└── ' if last else '├── '}{child.name}", _describe(child)))
        if isinstance(child, SupervisorSpec):
            _rows(child, prefix + ("    " if last else "│   "), rows)


def _describe(node: ChildNode, *, root: bool = False) -> str:
    if isinstance(node, SupervisorSpec):
        text = f"supervisor {node.strategy} (max_restarts {node.max_restarts} within"
        text += f" {node.within:g}s"
        if node.backoff is not None:
            text += f", backoff {node.backoff.min:g}s..{node.backoff.max:g}s"
        text += _decider(node.decider) + ")"
    elif isinstance(node, DynamicSupervisorSpec):
        limit = "" if node.max_children is None else f", at most {node.max_children}"
        text = f"dynamic_supervisor of {node.template.actor} (max_restarts"
        text += f" {node.max_restarts} within {node.within:g}s{limit}{_decider(node.decider)})"
    elif isinstance(node, PoolSpec):
        text = f"pool of {node.pool.size} {node.actor} ({node.pool.routing}"
        text += f"{_decider(node.pool.decider)})"
    else:
        text = f"worker {node.actor}"
    if not root:
        text += f", {node.restart}"
    if node.shutdown is not None:
        text += f", shutdown {_seconds(node.shutdown)}"
    if not isinstance(node, SupervisorSpec | DynamicSupervisorSpec) and node.subscribe:
        text += f", subscribes to {', '.join(node.subscribe)}"
    return text


def _decider(table: Mapping[str, str]) -> str:
    if not table:
        return ""
    entries = ", ".join(
        f"{reference.removeprefix('builtins:')} {directive}"
        for reference, directive in table.items()
    )
    return f", decider: {entries}"


def _seconds(value: float | str) -> str:
    return "no limit" if value == INFINITY else f"{float(value):g}s"


# ---------------------------------------------------------------------------- run


def _run(options: argparse.Namespace) -> int:
    loop_factory = _loop_factory(options.loop)
    if loop_factory is None:
        return 2
    # Signals are handled from here on, before the tree's modules are imported: a signal
    # while loading stops the command gracefully (nothing has started yet).
    signals = Signals(_say)
    signals.install()
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
        _say("stopped while loading the tree: nothing was started")
        return 0
    except ConfigError as error:
        _report(error)
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
        _say(f"exiting without waiting for what ignored cancellation: {', '.join(names)}")
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
        _say(
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
            _say(f"cannot join the cluster: {error}", sys.stderr)
            return 1
        _say(f"joined the cluster as node {cluster.node}")
    shutdown = spec.system.shutdown
    timeout = None if shutdown == INFINITY else float(shutdown)
    close_metrics = None
    if options.metrics_port is not None:
        close_metrics = await _serve_metrics(system, options.metrics_port, options.metrics_host)
        if close_metrics is None:
            return 1
    close_ui = None
    if options.ui_port is not None:
        close_ui = await _serve_ui(system, options)
        if close_ui is None:
            if close_metrics is not None:
                await close_metrics()
            return 1
    started = loop.time()
    try:
        if signals.received is not None:
            _say("stopped before the tree started")
            await system.shutdown(timeout)
            return 0
        try:
            root = await spawn_tree(system, spec)
        except ActorStartError as error:
            _print_chain("the tree failed to start:", error)
            await system.shutdown(timeout)
            return 1
        _say(f"started {root.path} ({len(system.actors)} actors) from {options.file}")
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
                _say(f"{options.for_seconds:g}s elapsed: shutting down gracefully")
            elif not root.is_alive:
                _say(f"{root.path} stopped: shutting down")
        await system.shutdown(timeout)
        for waiting in pending - {closed}:
            waiting.cancel()
        await asyncio.gather(*(pending - {closed}), return_exceptions=True)
        code = 0
        try:
            await closed
        except Exception as error:
            _print_chain(f"{root.path} gave up:", error)
            code = 1
        _summary(system, root.path, loop.time() - started)
        return code
    finally:
        if close_ui is not None:
            await close_ui()
        if close_metrics is not None:
            await close_metrics()
        current = asyncio.current_task()
        left.extend(task for task in asyncio.all_tasks() if task is not current)


async def _serve_metrics(
    system: ActorSystem, port: int, host: str
) -> Callable[[], Awaitable[None]] | None:
    """Serve ``/metrics`` and ``/healthz`` on ``host:port``; return how to stop, or None
    (reported) when the address cannot be bound."""
    try:
        server = await serve(system, port, host)
    except OSError as error:
        _say(f"cannot serve metrics on {host}:{port}: {error.strerror or error}", sys.stderr)
        return None
    bound = server.sockets[0].getsockname()[1]
    _say(f"serving metrics on port {bound} at /metrics and /healthz ({host})")

    async def close_server() -> None:
        server.close()
        await server.wait_closed()

    return close_server


async def _serve_ui(
    system: ActorSystem, options: argparse.Namespace
) -> Callable[[], Awaitable[None]] | None:
    """Serve the live view on ``--ui-host:--ui-port``; return how to stop, or None
    (reported) when it cannot be served."""
    host, port = options.ui_host, options.ui_port
    token = os.environ.get(TOKEN_VARIABLE) or None
    if token is None and options.ui_actions:
        token = secrets.token_urlsafe(24)
    try:
        server = await liveview.serve(
            system, port, host, token=token, actions=options.ui_actions, peers=options.ui_peer
        )
    except ValueError as error:
        hint = "" if token or liveview.is_loopback(host) else f"; set {TOKEN_VARIABLE}"
        _say(f"cannot serve the live view: {error}{hint}", sys.stderr)
        return None
    except OSError as error:
        _say(f"cannot serve the live view on {host}:{port}: {error.strerror or error}", sys.stderr)
        return None
    url = server.url
    if token is not None and not os.environ.get(TOKEN_VARIABLE):
        url += f"?token={token}"
    mode = "actions enabled" if options.ui_actions else "read-only"
    _say(f"serving the live view at {url} ({mode})")
    return server.close


def _print_chain(title: str, error: BaseException) -> None:
    _say(title, sys.stderr)
    seen: set[int] = set()
    link: BaseException | None = error
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        print(f"  {type(link).__name__}: {link}", file=sys.stderr, flush=True)
        cause = link.__cause__
        if cause is None and not link.__suppress_context__:
            cause = link.__context__
        link = cause


def _summary(system: ActorSystem, root: str, elapsed: float) -> None:
    totals = system.statistics()
    letters = totals.dead_letters_by_reason
    reasons = ", ".join(f"{reason} {count}" for reason, count in sorted(letters.items()))
    count = totals.dead_letters
    restarts = totals.restarts
    failures = totals.failed
    _say(
        f"stopped {root} after {elapsed:.1f}s: {failures} failure{'s' if failures != 1 else ''},"
        f" {restarts} restart{'s' if restarts != 1 else ''},"
        f" {count} dead letter{'s' if count != 1 else ''}" + (f" ({reasons})" if reasons else "")
    )
