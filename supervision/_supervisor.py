"""``Supervisor``: an actor that starts children from specs and restarts them by a strategy.

The supervisor drives the kernel's child mechanisms (``Context.restart_child``,
``halt_child``, ``resume_child``, ``stop_child``) from the pure decisions of
``plan_restart``, ``RestartIntensity`` and ``BackoffState``. Everything it does runs in its
own task, one step at a time, so a stop request (served first, through the system lane) is
seen between any two steps of a restart loop, and a backoff is a timer, not a sleep.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any, ClassVar

from actors import (
    Actor,
    ActorRef,
    ActorStartError,
    ActorStopped,
    ChildFailure,
    MailboxFull,
    RestartIntensity,
    SupervisorHealth,
    Terminated,
)
from actors.logging import error_fields, log_limited, logger
from supervision._admin import (
    ChildCounts,
    CountChildren,
    DeleteChild,
    Refused,
    RestartChild,
    StopChild,
    TerminateChild,
)
from supervision._backoff import BackoffState
from supervision._children import ChildInfo, ChildRecord, RestartDue, StartFailed, WhichChildren
from supervision._errors import RestartIntensityExceeded, SupervisionError
from supervision._history import DecisionHistory
from supervision._reconfigure import ReloadStep, carry_out
from supervision._spec import ChildSpec
from supervision._strategy import (
    ChildState,
    Directive,
    OneForOne,
    Restart,
    Strategy,
    plan_restart,
)

__all__ = ["Supervisor"]


class Supervisor(Actor):
    """An actor that starts children from ``ChildSpec``s and keeps them running.

    Subclass it and declare ``strategy`` and ``children`` (class attributes, or instance
    attributes set in ``__init__``):

        class Shop(Supervisor):
            strategy = OneForOne(max_restarts=3, within=5.0)
            children = (ChildSpec("orders", OrderDesk), ChildSpec("payments", Payments))

    Children start in declaration order, each after the previous one's ``on_start`` finished;
    ``spawn`` of the supervisor returns once all have started, or raises ``ActorStartError``
    (the child's error as cause) after stopping those already started. They stop in reverse
    order, each within its ``shutdown`` time.

    A failed child is handled by ``strategy.decide(error)``: ``RESUME`` keeps its instance,
    ``STOP`` stops it for good, ``ESCALATE`` fails the supervisor with ``SupervisionError``
    (cause: the child's error), ``RESTART`` restarts it and, by the strategy, its siblings.
    More than ``max_restarts`` restarts within ``within`` seconds and the supervisor gives up:
    it stops its children in reverse start order and fails with ``RestartIntensityExceeded``.

    A child that ended on its own is restarted by its restart type (``Restart``); one ended by
    ``ActorRef.kill`` (or a stop that overran its shutdown time) counts as failed, as OTP's
    ``killed``: ``PERMANENT`` and ``TRANSIENT`` children are restarted, ``TEMPORARY`` ones
    forgotten. A ``TRANSIENT`` child that stopped normally keeps its spec, ``stopped``.

    Answers ``WhichChildren()`` with a tuple of ``ChildInfo``, and the child administration
    requests of ``supervision._admin`` (``terminate_child``, ``restart_child``,
    ``delete_child``, ``stop_child``, ``count_children``).
    """

    # Whether a child that stopped and is not restarted keeps its spec (OTP's static
    # supervisors); a DynamicSupervisor forgets it (OTP's simple_one_for_one).
    keeps_stopped_children: ClassVar[bool] = True

    strategy: ClassVar[Strategy] = OneForOne()
    children: ClassVar[Sequence[ChildSpec]] = ()

    _records: dict[str, ChildRecord]
    _intensity: RestartIntensity
    _scheduled: dict[int, tuple[str, ...]]
    _status: str
    _history: DecisionHistory

    async def on_start(self) -> None:
        strategy = self.strategy
        if not isinstance(strategy, Strategy):
            raise TypeError(
                f"{type(self).__name__}.strategy must be OneForOne, OneForAll or RestForOne,"
                f" got {strategy!r}"
            )
        if isinstance(self.children, ChildSpec):
            raise TypeError(
                f"{type(self).__name__}.children must be a sequence of ChildSpec, got one"
                " ChildSpec (a one-child tuple needs a trailing comma: (ChildSpec(...),))"
            )
        specs = list(self.children)
        names: set[str] = set()
        for spec in specs:
            if not isinstance(spec, ChildSpec):
                raise TypeError(f"{type(self).__name__}.children holds {spec!r}, not a ChildSpec")
            if spec.name in names:
                raise ValueError(
                    f"{type(self).__name__}.children has two children named {spec.name!r}"
                )
            names.add(spec.name)
        self._records = {}
        self._intensity = RestartIntensity(strategy.max_restarts, strategy.within)
        self._scheduled = {}
        self._tokens = itertools.count(1)
        self._status = "running"
        self._history = DecisionHistory(self.context.path)
        for spec in specs:
            await self._spawn_child(spec)

    # ---------------------------------------------------------------- messages

    async def receive(self, message: Any) -> Any:
        match message:
            case WhichChildren():
                return self.which_children()
            case CountChildren():
                return self.count_children()
            case (
                StopChild(name=name)
                | TerminateChild(name=name)
                | RestartChild(name=name)
                | DeleteChild(name=name)
            ):
                return await self._administer(message, name)
            case Terminated(ref=ref, reason=reason):
                await self._on_terminated(ref, reason)
            case RestartDue(token=token):
                names = self._scheduled.pop(token, ())
                if not self._scheduled and self._status == "backoff":
                    self._status = "running"
                await self._start_group(names)
            case ReloadStep():
                return await carry_out(self, message)
            case StartFailed(name=name, ref=ref, error=error):
                record = self._records.get(name)
                if record is not None and record.ref == ref and record.state == "restarting":
                    await self._on_failure(record, error)
            case _:
                return await self.handle(message)
        return None

    async def handle(self, message: Any) -> Any:
        """Handle a message that is not one of the supervisor's own; override to add
        behaviour. The default logs it as unhandled and answers ``None``."""
        logger.warning(
            "supervisor.unhandled_message",
            actor=self.context.path,
            message_type=type(message).__name__,
        )
        return None

    def which_children(self) -> tuple[ChildInfo, ...]:
        """The children in start order, as ``WhichChildren`` reports them."""
        return tuple(
            ChildInfo(name, record.ref, record.state, record.spec.restart)
            for name, record in self._records.items()
        )

    def count_children(self) -> ChildCounts:
        """The children counted as ``count_children`` reports them (see ``ChildCounts``)."""
        records = self._records.values()
        specs = len(records)
        supervisors = sum(1 for record in records if record.spec.is_supervisor)
        active = sum(1 for r in records if r.state == "running" and r.ref.is_alive)
        return ChildCounts(specs, active, supervisors, specs - supervisors)

    @property
    def status(self) -> str:
        """``running``, ``restarting``, ``backoff`` or ``gave_up``."""
        return self._status

    def supervision_health(self) -> SupervisorHealth:
        """This supervisor's part of ``ActorSystem.health()``."""
        return SupervisorHealth(
            self.context.path,
            self._status,
            self.restarts_in_window(),
            self.strategy.max_restarts,
            self.strategy.within,
        )

    def introspect(self) -> dict[str, Any]:
        """The strategy, the restarts in the current window against the budget, the
        backoff, every child spec (running or not) and the latest decisions (restarts,
        escalations, giving up), for tree snapshots and the live view."""
        strategy = self.strategy
        backoff = strategy.backoff
        children = []
        for name, record in getattr(self, "_records", {}).items():
            entry: dict[str, Any] = {
                "name": name,
                "state": record.state if record.ref.is_alive else "stopped",
                "restart": record.spec.restart.value,
                "path": record.ref.path,
            }
            if record.backoff is not None:
                entry["backoff_attempt"] = record.backoff.attempt
            children.append(entry)
        return {
            "kind": "supervisor",
            "strategy": strategy.name,
            "status": getattr(self, "_status", "starting"),
            "restarts_in_window": self.restarts_in_window() if hasattr(self, "_intensity") else 0,
            "max_restarts": strategy.max_restarts,
            "within": strategy.within,
            "backoff": None if backoff is None else {"min": backoff.min, "max": backoff.max},
            "children": children,
            "history": self._history.entries() if hasattr(self, "_history") else [],
        }

    def restarts_in_window(self) -> int:
        """How many restarts fall in the current intensity window (against ``max_restarts``)."""
        return self._intensity.restarts_in_window(self.context.system.loop.time())

    # ---------------------------------------------------------------- failures

    async def on_child_failed(self, failure: ChildFailure) -> None:
        record = self._records.get(failure.child.name)
        if record is None or record.ref != failure.child:
            self.context.stop_child(failure.child)
            return
        if failure.escalated:  # the child failed because of its own children
            self._history.record("escalation", failure.child.path, failure.error)
        await self._on_failure(record, failure.error)

    async def _on_failure(self, record: ChildRecord, error: BaseException) -> None:
        directive = self.strategy.decide(error)
        if directive is Directive.RESUME and record.state == "running":
            self.context.resume_child(record.ref)
        elif directive is Directive.STOP:
            await self._stop_for_good(record)
        elif directive is Directive.ESCALATE:
            logger.error(
                "supervisor.escalating",
                actor=self.context.path,
                actor_class=type(self).__name__,
                child=record.ref.path,
                **error_fields(error),
            )
            raise SupervisionError(
                f"child {record.ref.path} failed and the decider escalated",
                path=self.context.path,
            ) from error
        else:
            await self._terminated(record, error, abnormal=True)

    # ---------------------------------------------------------------- administration

    async def _administer(self, request: object, name: str) -> Any:
        """Carry out a child administration request (see ``supervision._admin``); a refusal
        is answered as ``Refused`` for the helper to raise."""
        record = self._records.get(name)
        if record is None:
            return Refused(LookupError(f"{self.context.path} has no child {name!r}"))
        if isinstance(request, StopChild):
            await self._stop_for_good(record)
        elif isinstance(request, TerminateChild):
            if record.state != "stopped":
                await self._keep_stopped(record)
        elif not self.keeps_stopped_children:
            return Refused(
                SupervisionError(
                    f"{type(request).__name__}: {self.context.path} keeps no stopped children"
                    " (a DynamicSupervisor forgets a child once it stopped)",
                    path=self.context.path,
                )
            )
        elif record.state != "stopped":
            return Refused(
                SupervisionError(
                    f"{type(request).__name__}: child {name!r} of {self.context.path} is"
                    f" {record.state}; terminate_child it first",
                    path=self.context.path,
                )
            )
        elif isinstance(request, DeleteChild):
            del self._records[name]
        else:
            try:
                record = await self._start(record)
            except ActorStartError as error:
                return Refused(error)
            return record.ref
        return None

    async def _keep_stopped(self, record: ChildRecord) -> None:
        """Stop a child for good but keep its spec, ``stopped`` (OTP's ``del_child``: a
        ``TEMPORARY`` child, or any child of a DynamicSupervisor, is forgotten instead)."""
        if record.spec.restart is Restart.TEMPORARY or not self.keeps_stopped_children:
            await self._stop_for_good(record)
            return
        name = record.spec.name
        for token, names in list(self._scheduled.items()):  # no pending restart starts it
            kept = tuple(other for other in names if other != name)
            if kept:
                self._scheduled[token] = kept
            else:
                del self._scheduled[token]  # its timer's RestartDue will find nothing
        if not self._scheduled and self._status == "backoff":
            self._status = "running"
        record.state = "stopped"
        ref = record.ref
        if ref.is_alive:
            self.context.unwatch(ref)
            self.context.stop_child(ref, timeout=record.spec.shutdown_timeout)
            await ref.wait_stopped()

    async def _on_terminated(self, ref: ActorRef, reason: str) -> None:
        if self.context.is_stopping:
            return
        record = self._records.get(ref.name)
        if record is None or record.ref != ref:
            return  # stopped by this supervisor, or an older slot of the same name
        # Killed (or cancelled after overrunning its stop): abnormal, as OTP's `killed`.
        await self._terminated(record, None, abnormal=reason != "stopped", reason=reason)

    async def _terminated(
        self,
        record: ChildRecord,
        error: BaseException | None,
        *,
        abnormal: bool,
        reason: str = "failed",
    ) -> None:
        name = record.spec.name
        states = [ChildState(n, r.spec.restart) for n, r in self._records.items()]
        plan = plan_restart(self.strategy, states, name, abnormal)
        if not plan.start:
            for removed in plan.remove:
                await self._stop_for_good(self._records[removed])
            if name not in plan.remove:
                await self._keep_stopped(record)
            return
        now = self.context.system.loop.time()
        if self._intensity.add_restart(now):
            await self._give_up(record, error)
        self._status = "restarting"
        self._history.record("restart", record.ref.path, error)
        # Rate-limited per supervisor (with an unbounded budget a restart loop is unbounded
        # too); no traceback here, actor.failed has logged it.
        log_limited(
            "warning",
            "supervisor.restarting",
            self.context.path,
            actor=self.context.path,
            actor_class=type(self).__name__,
            child=record.ref.path,
            strategy=self.strategy.name,
            group=list(plan.start),
            reason=reason if reason != "stopped" else "exited",
            restarts=self._intensity.restarts_in_window(now),
            max_restarts=self.strategy.max_restarts,
            **({} if error is None else {"error_type": type(error).__name__, "error": str(error)}),
        )
        for stopped in plan.stop:
            bystander = self._records[stopped]
            if stopped in plan.remove:
                await self._stop_for_good(bystander)
            else:
                await self._halt(bystander)
        await self._halt(record)
        delay = self._backoff_delay(record, now)
        if delay > 0:
            token = next(self._tokens)
            self._scheduled[token] = plan.start
            for waiting in plan.start:
                self._records[waiting].state = "backoff"
            self._status = "backoff"
            self.context.schedule_once(delay, RestartDue(token))
            return
        await self._start_group(plan.start)
        if not self._scheduled:
            self._status = "running"

    def _backoff_delay(self, record: ChildRecord, now: float) -> float:
        backoff = self.strategy.backoff
        if backoff is None:
            return 0.0
        if record.backoff is None:
            record.backoff = BackoffState(backoff)
        return record.backoff.next_delay(now)

    async def _give_up(self, record: ChildRecord, error: BaseException | None) -> None:
        self._status = "gave_up"
        self._history.record("gave_up", record.ref.path, error)
        strategy = self.strategy
        logger.error(
            "supervisor.gave_up",
            actor=self.context.path,
            actor_class=type(self).__name__,
            child=record.ref.path,
            max_restarts=strategy.max_restarts,
            within=strategy.within,
            **({} if error is None else error_fields(error)),
        )
        for child in reversed(list(self._records.values())):
            await self._stop_for_good(child)
        raise RestartIntensityExceeded(
            f"gave up after more than {strategy.max_restarts} restarts within"
            f" {strategy.within}s (last: {record.ref.path})",
            path=self.context.path,
        ) from error

    # ---------------------------------------------------------------- mechanics

    async def _spawn_child(
        self, spec: ChildSpec, *, replacing: ChildRecord | None = None
    ) -> ChildRecord:
        """Spawn a child; ``replacing`` a record whose slot is gone keeps its start position."""
        position = None
        if replacing is not None:
            names = list(self._records)
            earlier = names[: names.index(spec.name)]
            position = sum(1 for name in earlier if self._records[name].ref.is_alive)
        ref = await self.context.spawn(
            spec.factory,
            name=spec.name,
            capacity=spec.capacity,
            overflow=spec.overflow,
            shutdown=spec.shutdown_timeout,
            position=position,
            retry=spec.retry,
            handler_timeout=spec.handler_timeout,
        )
        self.context.watch(ref)
        record = ChildRecord(spec, ref)
        if replacing is None:
            self._records[spec.name] = record
        else:
            record.backoff = replacing.backoff
            self._records = {
                name: record if name == spec.name else other
                for name, other in self._records.items()
            }
        return record

    async def _halt(self, record: ChildRecord) -> None:
        record.state = "restarting"
        if record.ref.is_alive:
            await self.context.halt_child(record.ref, timeout=record.spec.shutdown_timeout)

    async def _start_group(self, names: Sequence[str]) -> None:
        for name in names:
            record = self._records.get(name)
            if record is None or record.state == "running":
                continue
            try:
                await self._start(record)
            except ActorStopped:
                continue  # stopped by someone else meanwhile; its Terminated will tell us
            except ActorStartError as error:
                # A restart that fails counts as a failure too. It is handled as a message, so
                # a stop request (served first) is seen between two attempts of a restart loop.
                # The rest of the group stays halted; the plan for this failure restarts it.
                self._retry_later(StartFailed(name, record.ref, error))
                return

    async def _start(self, record: ChildRecord) -> ChildRecord:
        if record.ref.is_alive:
            await self.context.restart_child(record.ref, timeout=record.spec.shutdown_timeout)
        else:
            # A child that stopped (a permanent one on its own, or a kept spec): a new slot
            # under the same name, in the same place in the start order.
            record = await self._spawn_child(record.spec, replacing=record)
        record.state = "running"
        if record.backoff is not None:
            record.backoff.running_since(self.context.system.loop.time())
        return record

    def _retry_later(self, failed: StartFailed) -> None:
        try:
            self.context.ref.tell_nowait(failed)
        except MailboxFull:
            self.context.schedule_once(0.0, failed)

    async def _stop_for_good(self, record: ChildRecord, *, drain: bool = True) -> None:
        self._records.pop(record.spec.name, None)
        ref = record.ref
        if ref.is_alive:
            self.context.unwatch(ref)
            self.context.stop_child(ref, timeout=record.spec.shutdown_timeout, drain=drain)
            await ref.wait_stopped()
