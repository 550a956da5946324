"""Supervised background tasks: every long-running loop of a service (Kafka consumers, the consent worker, periodic
checks) runs under one ``Supervisor``.

A task that raises is logged at error level with where it failed (the task, the record's topic/partition/offset when
it names one, the code location; never the exception's message, which can quote a payload), counted, and restarted
after an exponential backoff with jitter (tenacity). Its readiness check fails from the moment it fails until it says
it is healthy again (``TaskHandle.healthy()``), so ``/readyz`` answers 503 naming a task that is down or crash-looping.
A task that was healthy for a while before failing starts its backoff over.

Metrics: ``buurt_task_up{task}`` (1 while running and healthy), ``buurt_task_restarts_total{task}``,
``buurt_records_skipped_total{task,reason}`` (records a task could not apply and skipped, per its documented policy).
"""

import asyncio
import contextlib
import logging
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from prometheus_client import Counter, Gauge
from tenacity import AsyncRetrying, retry_if_exception, stop_never, wait_exponential_jitter

logger = logging.getLogger(__name__)
_ROOT = Path(__file__).resolve().parents[2]
# Under several workers each runs its own tasks: the least of them, so that one worker's failed task shows.
UP = Gauge("buurt_task_up", "1 while the background task runs and reports healthy", ["task"],
           multiprocess_mode="livemin")
RESTARTS = Counter("buurt_task_restarts_total", "Background task restarts after a failure", ["task"])
STOP_TIMEOUT_S = 20.0  # within the 30 s Kubernetes and compose give a container between SIGTERM and SIGKILL
SKIPPED = Counter("buurt_records_skipped_total", "Records a task could not apply and skipped", ["task", "reason"])


class RecordFailed(Exception):
    """Applying one Kafka record failed: carries where (topic, partition, offset), never the record itself."""

    def __init__(self, topic: str, partition: int, offset: int) -> None:
        super().__init__(f"{topic}[{partition}]@{offset}")
        self.topic, self.partition, self.offset = topic, partition, offset


class TaskEnded(Exception):
    """A task that should run until cancelled returned."""


@dataclass
class TaskHandle:
    """A task's view of its supervision: it calls ``healthy()`` once it works (connected, assigned, consuming)."""

    name: str
    state: str = "starting"  # starting, running, failed, stopped
    restarts: int = 0
    last_error: str | None = None
    healthy_since: float | None = None
    _ready: bool = field(default=False, repr=False)

    def healthy(self) -> None:
        if not self._ready:
            self._ready, self.healthy_since = True, time.monotonic()
            UP.labels(self.name).set(1)

    def unhealthy(self) -> None:
        self._ready, self.healthy_since = False, None
        UP.labels(self.name).set(0)

    @property
    def ready(self) -> bool:
        return self.state == "running" and self._ready

    def report(self) -> dict[str, Any]:
        return {"state": self.state, "healthy": self.ready, "restarts": self.restarts, "last_error": self.last_error}


TaskFactory = Callable[[TaskHandle], Awaitable[None]]


class _Failed(Exception):
    def __init__(self, after_healthy_run: bool) -> None:
        super().__init__()
        self.after_healthy_run = after_healthy_run


class Supervisor:
    def __init__(self, initial_backoff_s: float = 0.5, max_backoff_s: float = 30.0,
                 reset_after_s: float = 60.0) -> None:
        self.initial_backoff_s, self.max_backoff_s, self.reset_after_s = initial_backoff_s, max_backoff_s, reset_after_s
        self.handles: dict[str, TaskHandle] = {}
        self._factories: dict[str, TaskFactory] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._best_effort: set[str] = set()

    def add(self, name: str, factory: TaskFactory, gates_readiness: bool = True) -> TaskHandle:
        """Supervise a task; one that does not gate readiness (best-effort work: anonymous analytics events) is
        still reported by /readyz, logged, counted and restarted, but its failure leaves the service ready."""
        handle = TaskHandle(name)
        UP.labels(name).set(0)
        RESTARTS.labels(name)  # the series exists (at 0) before the first restart
        self.handles[name], self._factories[name] = handle, factory
        if not gates_readiness:
            self._best_effort.add(name)
        return handle

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._supervise(self.handles[name], factory), name=f"supervised:{name}")
                       for name, factory in self._factories.items()]

    async def stop(self, timeout_s: float = STOP_TIMEOUT_S) -> None:
        """Cancel every task and wait for them, at most ``timeout_s``: a task that does not end by then (one that
        swallowed its cancellation, or waits on a client that does not return) is logged with where it waits and
        left behind, so that a service always shuts down."""
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=timeout_s)
            for task in pending:
                logger.error("background task did not stop on cancellation; shutting down without it",
                             extra={"task": task.get_name(), "waiting_at": _waiting_at(task)})
        for handle in self.handles.values():
            handle.state = "stopped"
            handle.unhealthy()

    def checks(self) -> dict[str, Callable[[], Awaitable[bool]]]:
        """Readiness checks named ``task:<name>``, for the health router."""
        return {f"task:{name}": _check(handle) for name, handle in self.handles.items()
                if name not in self._best_effort}

    def report(self) -> dict[str, dict[str, Any]]:
        return {name: handle.report() for name, handle in self.handles.items()}

    async def _supervise(self, handle: TaskHandle, factory: TaskFactory) -> None:
        while True:  # a new backoff sequence after every healthy run
            retrying = AsyncRetrying(
                wait=wait_exponential_jitter(initial=self.initial_backoff_s, max=self.max_backoff_s),
                retry=retry_if_exception(lambda e: isinstance(e, _Failed) and not e.after_healthy_run),
                stop=stop_never, reraise=True)
            with contextlib.suppress(_Failed):
                async for attempt in retrying:
                    with attempt:
                        await self._run_once(handle, factory)
            await asyncio.sleep(self.initial_backoff_s)

    async def _run_once(self, handle: TaskHandle, factory: TaskFactory) -> None:
        handle.state = "running"
        try:
            await factory(handle)
            raise TaskEnded("the task returned")
        except asyncio.CancelledError:
            # A CancelledError while nobody cancels this task comes from a client library cancelling futures under
            # it (aiokafka does when a producer stops): a failure to restart from, not a shutdown.
            if _being_cancelled():
                raise
            failure: BaseException = asyncio.CancelledError()
        except Exception as exc:  # noqa: BLE001 - whatever ended the task, it is logged and restarted
            failure = exc
        after_healthy_run = (handle.healthy_since is not None
                             and time.monotonic() - handle.healthy_since >= self.reset_after_s)
        handle.state, handle.restarts, handle.last_error = "failed", handle.restarts + 1, describe(failure)
        handle.unhealthy()
        RESTARTS.labels(handle.name).inc()
        logger.error("background task failed; restarting with backoff",
                     extra={"task": handle.name, "error": handle.last_error, "restarts": handle.restarts,
                            **_where(failure)})
        raise _Failed(after_healthy_run) from None


def describe(error: BaseException) -> str:
    """The error's type and where it was raised (the innermost frame, and the innermost frame of this project's
    code when that is another one), without its message."""
    frames = traceback.extract_tb(error.__traceback__)
    text = type(error).__name__
    if frames:
        text += f" at {_located(frames)}"
    cause = error.__cause__ or error.__context__
    if isinstance(error, RecordFailed) and cause is not None:
        text = f"{describe(cause)} (record {error})"
    return text


def _located(frames: list[traceback.FrameSummary]) -> str:
    """The innermost frame, and the innermost frame of this project's code when that is another one."""
    ours = next((f for f in reversed(frames) if _ours(f.filename)), None)
    return _frame(frames[-1]) + (f" via {_frame(ours)}" if ours and ours is not frames[-1] else "")


def _frame(frame: traceback.FrameSummary) -> str:
    path = Path(frame.filename)
    return f"{path.relative_to(_ROOT) if _ours(frame.filename) else path.name}:{frame.lineno} in {frame.name}"


def _ours(filename: str) -> bool:
    path = Path(filename)
    return path.is_relative_to(_ROOT) and "site-packages" not in path.parts


def _where(error: BaseException) -> dict[str, Any]:
    if isinstance(error, RecordFailed):
        return {"topic": error.topic, "partition": error.partition, "offset": error.offset}
    return {}


def _waiting_at(task: asyncio.Task[None]) -> str:
    """Where a task waits now, down its chain of awaited coroutines."""
    frames, awaited = [], cast(Any, task.get_coro())
    while (frame := getattr(awaited, "cr_frame", None)) is not None:
        frames.append(traceback.FrameSummary(frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name))
        awaited = getattr(awaited, "cr_await", None)
    return _located(frames) if frames else "unknown"


def _being_cancelled() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def _check(handle: TaskHandle) -> Callable[[], Awaitable[bool]]:
    async def ready() -> bool:
        return handle.ready

    return ready


@contextlib.asynccontextmanager
async def supervised(tasks: Mapping[str, TaskFactory]) -> AsyncIterator[Supervisor]:
    """Run tasks under a supervisor for the duration of the block (scripts, benchmarks and tests)."""
    supervisor = Supervisor()
    for name, task in tasks.items():
        supervisor.add(name, task)
    supervisor.start()
    try:
        yield supervisor
    finally:
        await supervisor.stop()
