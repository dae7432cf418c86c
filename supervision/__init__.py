"""Supervision trees on top of the ``actors`` kernel: supervisors, child specs, restart
strategies, restart intensity and backoff, dynamic supervisors, and trees declared in
configuration files (``load_tree``, ``spawn_tree``, ``apply_tree`` to reload one; the
``supervise`` command).

The public names are re-exported here; the modules that define them are private.
"""

from supervision._admin import (
    ChildCounts,
    CountChildren,
    DeleteChild,
    RestartChild,
    StopChild,
    TerminateChild,
    count_children,
    delete_child,
    restart_child,
    stop_child,
    terminate_child,
)
from supervision._backoff import Backoff
from supervision._children import ChildInfo, WhichChildren
from supervision._decider import ExceptionDecider
from supervision._dynamic import DynamicSupervisor, StartChild, start_child
from supervision._errors import RestartIntensityExceeded, SupervisionError
from supervision._path_ref import PathRef
from supervision._spec import ChildSpec
from supervision._strategy import Directive, OneForAll, OneForOne, Restart, RestForOne, Strategy
from supervision._supervisor import Supervisor
from supervision.config._build import create_system, spawn_tree
from supervision.config._error import ConfigError, ConfigProblem
from supervision.config._spec import (
    BackoffSpec,
    CircuitBreakerSpec,
    DynamicSupervisorSpec,
    MailboxSpec,
    PoolOptions,
    PoolSpec,
    RetrySpec,
    SupervisorSpec,
    SystemSpec,
    TemplateSpec,
    TreeSpec,
    WorkerSpec,
)
from supervision.config._tree import load_tree
from supervision.config._warnings import tree_warnings
from supervision.reload._apply import ReloadError, apply_tree, plan_reload
from supervision.reload._diff import ReloadChange, ReloadPlan, diff_trees

__all__ = [
    "Backoff",
    "BackoffSpec",
    "ChildCounts",
    "ChildInfo",
    "ChildSpec",
    "CircuitBreakerSpec",
    "ConfigError",
    "ConfigProblem",
    "CountChildren",
    "DeleteChild",
    "Directive",
    "DynamicSupervisor",
    "DynamicSupervisorSpec",
    "ExceptionDecider",
    "MailboxSpec",
    "OneForAll",
    "OneForOne",
    "PathRef",
    "PoolOptions",
    "PoolSpec",
    "ReloadChange",
    "ReloadError",
    "ReloadPlan",
    "RestForOne",
    "Restart",
    "RestartChild",
    "RestartIntensityExceeded",
    "RetrySpec",
    "StartChild",
    "StopChild",
    "Strategy",
    "SupervisionError",
    "Supervisor",
    "SupervisorSpec",
    "SystemSpec",
    "TemplateSpec",
    "TerminateChild",
    "TreeSpec",
    "WhichChildren",
    "WorkerSpec",
    "apply_tree",
    "count_children",
    "create_system",
    "delete_child",
    "diff_trees",
    "load_tree",
    "plan_reload",
    "restart_child",
    "spawn_tree",
    "start_child",
    "stop_child",
    "terminate_child",
    "tree_warnings",
]
