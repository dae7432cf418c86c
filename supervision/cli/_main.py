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
- ``reload``: 0 applied (or, with ``--dry-run``, planned), 1 a step failed or no running
  tree listens on the socket, 2 the file is not valid (nothing changed).
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

``run`` reloads FILE on SIGHUP, and on ``supervise reload --control SOCKET`` when started
with ``--control SOCKET`` (see ``supervision.cli._reload``).
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Sequence

from supervision.cli._args import parser
from supervision.cli._check import check
from supervision.cli._reload import request_reload
from supervision.cli._run import run_command

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``supervise`` command with ``argv`` (default: ``sys.argv[1:]``); return the
    exit code (see the module docstring)."""
    options = parser().parse_args(argv)
    # Modules named in the file are looked up from the current directory first, as with
    # `python -m`; a console script's sys.path starts at its own directory instead.
    # `--path` directories go before it, in the order given.
    for directory in [*reversed(options.path), os.getcwd()]:
        if directory in sys.path:
            sys.path.remove(directory)
    sys.path[:0] = [*options.path, os.getcwd()]
    try:
        if options.command == "check":
            return check(options.file)
        if options.command == "reload":
            return request_reload(options.control, dry_run=options.dry_run)
        return run_command(options)
    except KeyboardInterrupt:
        return 128 + signal.SIGINT
