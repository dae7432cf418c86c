"""Supervision trees on top of the ``actors`` kernel: supervisors, child specs, restart
strategies, restart intensity and backoff, dynamic supervisors, and trees declared in
configuration files (``load_tree``, ``spawn_tree``; the ``supervise`` command).

The public names are re-exported here; the modules that define them are private.
"""

from supervision._backoff import Backoff
from supervision._config import load_tree
from supervision._config_build import create_system, spawn_tree
from supervision._config_error import ConfigError, ConfigProblem
from supervision._config_spec import (
    BackoffSpec,
    DynamicSupervisorSpec,
    MailboxSpec,
    PoolOptions,
    PoolSpec,
    SupervisorSpec,
    SystemSpec,
    TemplateSpec,
    TreeSpec,
    WorkerSpec,
)
from supervision._config_warnings import tree_warnings
from supervision._dynamic import DynamicSupervisor, StartChild, StopChild, start_child, stop_child
from supervision._errors import RestartIntensityExceeded, SupervisionError
from supervision._spec import ChildSpec
from supervision._strategy import Directive, OneForAll, OneForOne, Restart, RestForOne, Strategy
from supervision._supervisor import ChildInfo, Supervisor, WhichChildren

__all__ = [
    "Backoff",
    "BackoffSpec",
    "ChildInfo",
    "ChildSpec",
    "ConfigError",
    "ConfigProblem",
    "Directive",
    "DynamicSupervisor",
    "DynamicSupervisorSpec",
    "MailboxSpec",
    "OneForAll",
    "OneForOne",
    "PoolOptions",
    "PoolSpec",
    "RestForOne",
    "Restart",
    "RestartIntensityExceeded",
    "StartChild",
    "StopChild",
    "Strategy",
    "SupervisionError",
    "Supervisor",
    "SupervisorSpec",
    "SystemSpec",
    "TemplateSpec",
    "TreeSpec",
    "WhichChildren",
    "WorkerSpec",
    "create_system",
    "load_tree",
    "spawn_tree",
    "start_child",
    "stop_child",
    "tree_warnings",
]
