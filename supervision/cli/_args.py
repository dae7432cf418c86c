"""The ``supervise`` command line: its subcommands, options and the checks on their values."""

from __future__ import annotations

import argparse
import importlib.metadata
import sys
from pathlib import Path

__all__ = ["PROGRAM", "TOKEN_VARIABLE", "parser"]

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


def parser() -> argparse.ArgumentParser:
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
    run.add_argument(
        "--control",
        metavar="SOCKET",
        help="listen on the unix socket SOCKET for `supervise reload` (local only, mode 0600)",
    )
    run.add_argument("--log-format", choices=("console", "json"), default="console")
    run.add_argument("--log-level", choices=_LEVELS, default="info")
    reload = commands.add_parser(
        "reload",
        help="make a running `supervise run --control SOCKET` reload its file (exit 0, 1 if"
        " a step failed, 2 if the file is invalid); SIGHUP to its process does the same",
        description="Ask the process listening on SOCKET to reload its file: validated"
        " completely first (an invalid file changes nothing), then applied, changing only"
        " what changed. --dry-run prints the plan without applying it.",
    )
    reload.add_argument("--control", required=True, metavar="SOCKET", help="the run's socket")
    reload.add_argument("--dry-run", action="store_true", help="print the plan; change nothing")
    reload.set_defaults(path=[])
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
