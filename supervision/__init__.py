"""Supervision trees on top of the ``actors`` kernel: supervisors, child specs, restart
strategies, restart intensity and backoff, dynamic supervisors.

The public names are re-exported here; the modules that define them are private.
"""

from supervision._backoff import Backoff
from supervision._dynamic import DynamicSupervisor, StartChild, StopChild, start_child, stop_child
from supervision._errors import RestartIntensityExceeded, SupervisionError
from supervision._spec import ChildSpec
from supervision._strategy import Directive, OneForAll, OneForOne, Restart, RestForOne, Strategy
from supervision._supervisor import ChildInfo, Supervisor, WhichChildren

__all__ = [
    "Backoff",
    "ChildInfo",
    "ChildSpec",
    "Directive",
    "DynamicSupervisor",
    "OneForAll",
    "OneForOne",
    "RestForOne",
    "Restart",
    "RestartIntensityExceeded",
    "StartChild",
    "StopChild",
    "Strategy",
    "SupervisionError",
    "Supervisor",
    "WhichChildren",
    "start_child",
    "stop_child",
]
