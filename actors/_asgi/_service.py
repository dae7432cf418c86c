"""``ActorService``: an actor system that lives as long as an ASGI application."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from actors._asgi._metrics_app import MetricsApp
from actors._core._errors import ActorStopped
from actors._core._log import logger
from actors._core._ref import ActorRef
from actors._system._system import ActorSystem

__all__ = ["ActorService", "exit_process"]


def exit_process(code: int) -> Callable[[BaseException], None]:
    """The default ``on_failure`` of ``ActorService``: end the process with exit ``code``.

    Raised as ``SystemExit`` from a callback of the event loop, not from a request or the
    lifespan (servers catch exceptions there), so it leaves the server's ``run``: an ASGI
    server such as uvicorn then exits with ``code`` and the orchestrator restarts it.
    """

    def exit_now(error: BaseException) -> None:
        def raise_exit() -> None:
            raise SystemExit(code)

        asyncio.get_running_loop().call_soon(raise_exit)

    return exit_now


class ActorService:
    """Runs an ``ActorSystem`` for the lifetime of an ASGI application (Starlette, FastAPI or
    any framework with an async-context-manager lifespan).

    Build it at import time, next to the application; ``lifespan`` creates the system at
    startup with ``system_factory``, awaits ``setup(system)`` (spawn the tree there), and
    shuts the system down gracefully at shutdown::

        service = ActorService(setup=start_tree)
        app = FastAPI(lifespan=service.lifespan)

    Routes reach actors with ``service.ref(path)`` (or ``Depends(service.dependency(path))``
    in FastAPI). When the system fails on its own (its root supervisor gave up), the service
    must not go on answering 503: ``on_failure(error)`` is called, by default
    ``exit_process(1)``, so the server exits non-zero and its orchestrator restarts it.

    Args:
        setup: awaited with the new system at startup; raise to refuse to start (the server
            then exits, saying why).
        system_factory: makes the system (default ``ActorSystem``, named ``"actors"``).
        shutdown_timeout: seconds the graceful shutdown may take (``None``: no limit).
        on_failure: called once, on the loop, with the error when the system fails while
            the application runs; default ``exit_process(1)``.

    Raises:
        TypeError: ``setup``, ``system_factory`` or ``on_failure`` is not callable.
    """

    def __init__(
        self,
        setup: Callable[[ActorSystem], Awaitable[Any]] | None = None,
        *,
        system_factory: Callable[[], ActorSystem] = ActorSystem,
        shutdown_timeout: float | None = 10.0,
        on_failure: Callable[[BaseException], None] | None = None,
    ) -> None:
        for name, value in (
            ("setup", setup),
            ("system_factory", system_factory),
            ("on_failure", on_failure),
        ):
            if value is not None and not callable(value):
                raise TypeError(f"ActorService({name}=...) must be callable, got {value!r}")
        self._setup = setup
        self._system_factory = system_factory
        self._shutdown_timeout = shutdown_timeout
        self._on_failure = exit_process(1) if on_failure is None else on_failure
        # Set between a successful startup and the end of shutdown.
        self._system: ActorSystem | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._stopping = False

    def __repr__(self) -> str:
        state = "stopped" if self._system is None else repr(self._system)
        return f"<ActorService {state}>"

    # ------------------------------------------------------------------ access

    @property
    def system(self) -> ActorSystem:
        """The running system.

        Raises:
            RuntimeError: the application's lifespan has not started it (or has ended).
        """
        if self._system is None:
            raise RuntimeError(
                "the actor system is not running: pass ActorService.lifespan as the"
                " application's lifespan (FastAPI(lifespan=service.lifespan)) and make"
                " requests only while the application runs"
            )
        return self._system

    def ref(self, path: str) -> ActorRef:
        """The live actor at ``path`` (``/shop/orders``), for a route to tell or ask.

        Raises:
            ActorStopped: no live actor has that path (answered 503 by ``RequestContext``).
            ValueError: ``path`` does not start with ``/``.
            RuntimeError: the system is not running.
        """
        found = self.system.lookup(path)
        if found is None:
            raise ActorStopped(f"no live actor at {path}", path=path)
        return found

    def dependency(self, path: str) -> Callable[[], ActorRef]:
        """A zero-argument callable returning ``ref(path)``: a FastAPI dependency, as in
        ``orders: ActorRef = Depends(service.dependency("/shop/orders"))``.

        Raises:
            ValueError: ``path`` does not start with ``/`` (checked here, at import time).
        """
        if not isinstance(path, str) or not path.startswith("/"):
            raise ValueError(f"an actor path starts with '/', got {path!r}")

        def actor_ref() -> ActorRef:
            return self.ref(path)

        actor_ref.__name__ = f"actor_ref_{path.strip('/').replace('/', '_') or 'root'}"
        return actor_ref

    def metrics_app(self) -> MetricsApp:
        """``actors.metrics.asgi_app`` bound to this service's system: mount it before the
        system exists (``app.mount("/ops", service.metrics_app())``); it answers 503 until
        the lifespan has started the system."""
        return MetricsApp(lambda: self._system)

    # ------------------------------------------------------------------ lifespan

    @asynccontextmanager
    async def lifespan(self, app: object = None) -> AsyncIterator[None]:
        """The lifespan context manager: ``start()`` on entry, ``stop()`` on exit.

        Takes (and ignores) the application, as Starlette and FastAPI pass it.

        Raises:
            RuntimeError: the service is already running.
            Exception: whatever ``setup`` raised (the system is shut down again first).
        """
        await self.start()
        try:
            yield
        finally:
            await self.stop()

    async def start(self) -> ActorSystem:
        """Create the system, run ``setup`` and start watching for a failure of the system.

        Raises:
            RuntimeError: already started.
            Exception: whatever ``system_factory`` or ``setup`` raised; a system that was
                created is shut down again first, so nothing is left running.
        """
        if self._system is not None:
            raise RuntimeError(f"{self!r} is already running")
        system = self._system_factory()
        if not isinstance(system, ActorSystem):
            raise TypeError(f"system_factory returned {type(system).__name__}, not an ActorSystem")
        try:
            if self._setup is not None:
                await self._setup(system)
        except BaseException:
            # Broad on purpose, and re-raised: whatever setup raised (a cancellation too),
            # the system it was given is shut down first, so nothing is left running.
            await system.shutdown(self._shutdown_timeout)
            raise
        self._system = system
        self._stopping = False
        self._watcher = asyncio.get_running_loop().create_task(
            self._watch(system), name=f"actor service watcher {system.name}"
        )
        return system

    async def stop(self) -> None:
        """Shut the system down gracefully (within ``shutdown_timeout``). Idempotent."""
        system = self._system
        if system is None:
            return
        self._stopping = True
        try:
            await system.shutdown(self._shutdown_timeout)
        finally:
            watcher = self._watcher
            if watcher is not None and not watcher.done():
                watcher.cancel()
                await asyncio.gather(watcher, return_exceptions=True)
            self._watcher = None
            self._system = None

    async def _watch(self, system: ActorSystem) -> None:
        try:
            await system.wait_closed()
        except Exception as error:  # broad: wait_closed raises what a top-level actor escalated
            if self._stopping:
                # Failed while the server stops it: it is going away anyway, and the failure
                # was logged with its traceback already (system.failed).
                return
            # The traceback was logged once already (system.failed); this says what follows.
            logger.critical(
                "asgi.system_failed",
                system=system.name,
                error_type=type(error).__name__,
                error=str(error),
            )
            self._on_failure(error)
        else:
            if not self._stopping:
                logger.warning(
                    "asgi.system_closed",
                    system=system.name,
                    detail="shut down while the application runs; requests now answer 503",
                )
