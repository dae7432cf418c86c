"""``DynamicSupervisor``: children started and stopped at run time from one template."""

from __future__ import annotations

import functools
import itertools
from typing import Any, ClassVar

import attrs

from actors import ActorRef, ActorStartError
from supervision._admin import Refused
from supervision._errors import SupervisionError
from supervision._spec import ChildSpec
from supervision._strategy import OneForOne
from supervision._supervisor import Supervisor

__all__ = ["DynamicSupervisor", "StartChild", "start_child"]


@attrs.frozen
class StartChild:
    """Ask a ``DynamicSupervisor`` to start a child from its template, the template's
    factory called with ``args`` and ``kwargs``. Prefer the ``start_child`` helper."""

    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = attrs.field(factory=dict)
    name: str | None = None


class DynamicSupervisor(Supervisor):
    """A supervisor whose children are started at run time from one template (Erlang's
    ``simple_one_for_one``), each restarted by the template's restart type under
    ``one_for_one`` and the supervisor's restart intensity.

    Declare ``child_spec`` (its ``name`` is the prefix of generated child names) and, if you
    want a bound, ``max_children``. Start children with ``await start_child(sup, *args,
    **kwargs)`` and stop them with ``await stop_child(sup, child)`` (or ``terminate_child``:
    the same here, since a dynamic supervisor keeps no stopped children, as OTP's
    ``simple_one_for_one``; ``restart_child`` and ``delete_child`` raise
    ``SupervisionError``). A child that stopped and is not restarted is forgotten.
    ``count_children`` counts every child it has as a spec.
    """

    child_spec: ClassVar[ChildSpec]
    max_children: ClassVar[int | None] = None
    strategy = OneForOne()
    keeps_stopped_children = False

    async def on_start(self) -> None:
        spec = getattr(self, "child_spec", None)
        if not isinstance(spec, ChildSpec):
            raise TypeError(f"{type(self).__name__}.child_spec must be a ChildSpec, got {spec!r}")
        if not isinstance(self.strategy, OneForOne):
            raise ValueError(
                f"{type(self).__name__}: a DynamicSupervisor restarts its children one for one;"
                f" got {self.strategy.name}"
            )
        if self.children:
            raise ValueError(f"{type(self).__name__}: a DynamicSupervisor starts with no children")
        limit = self.max_children
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, int) or limit < 0
        ):
            raise ValueError(f"max_children must be an int >= 0 or None, got {limit!r}")
        self._numbers = itertools.count(1)
        await super().on_start()

    async def handle(self, message: Any) -> Any:
        match message:
            case StartChild():
                return await self._start_dynamic(message)
        return await super().handle(message)

    def introspect(self) -> dict[str, Any]:
        """``Supervisor.introspect()``, with the child template and ``max_children``."""
        details = super().introspect()
        details["kind"] = "dynamic_supervisor"
        details["max_children"] = self.max_children
        return details

    async def _start_dynamic(self, request: StartChild) -> ActorRef | Refused:
        limit = self.max_children
        if limit is not None and len(self._records) >= limit:
            return Refused(
                SupervisionError(
                    f"{self.context.path} already has max_children={limit} children",
                    path=self.context.path,
                )
            )
        template = self.child_spec
        name = request.name
        if name is None:
            name = f"{template.name}-{next(self._numbers)}"
            while name in self._records:
                name = f"{template.name}-{next(self._numbers)}"
        elif name in self._records:
            return Refused(ValueError(f"{self.context.path} already has a child named {name!r}"))
        factory = template.factory
        if request.args or request.kwargs:
            factory = functools.partial(factory, *request.args, **request.kwargs)
        try:
            spec = attrs.evolve(template, name=name, factory=factory)
            record = await self._spawn_child(spec)
        except (ActorStartError, ValueError, TypeError) as error:
            return Refused(error)
        return record.ref


async def start_child(
    supervisor: ActorRef,
    *args: Any,
    name: str | None = None,
    timeout: float | None = 5.0,
    **kwargs: Any,
) -> ActorRef:
    """Start a child of the ``DynamicSupervisor`` behind ``supervisor`` from its template,
    calling the template's factory with ``args`` and ``kwargs``; returns the child's ref once
    its ``on_start`` finished.

    Raises:
        ActorStartError: the child's factory or ``on_start`` raised (cause attached).
        SupervisionError: the supervisor already has ``max_children`` children.
        ValueError: ``name`` is taken or invalid.
        AskTimeout, ActorStopped: as ``ActorRef.ask``.
    """
    answer = await supervisor.ask(StartChild(args=args, kwargs=kwargs, name=name), timeout=timeout)
    if isinstance(answer, Refused):
        raise answer.error
    assert isinstance(answer, ActorRef)
    return answer
