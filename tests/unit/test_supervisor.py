"""The supervisor of background tasks: failures are logged with where, counted, restarted with backoff, reported as
not ready until the task says it is healthy again; shutdown is clean."""

import asyncio
import logging
import re

import pytest
from prometheus_client import REGISTRY

from services.common.supervisor import RecordFailed, Supervisor, TaskHandle

FAST = {"initial_backoff_s": 0.01, "max_backoff_s": 0.05}


async def eventually(condition: object, timeout: float = 5.0) -> None:
    async def poll() -> None:
        while not condition():  # type: ignore[operator]
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), timeout)


def restarts(task: str) -> float:
    return REGISTRY.get_sample_value("buurt_task_restarts_total", {"task": task}) or 0.0


async def test_a_failing_task_is_logged_with_its_record_restarted_and_ready_once_healthy(
        caplog: pytest.LogCaptureFixture) -> None:
    attempts = 0
    release = asyncio.Event()

    async def follower(handle: TaskHandle) -> None:
        nonlocal attempts
        attempts += 1
        if attempts <= 2:
            try:
                raise KeyError("0428759497 griet@example.be")  # what a payload in a message would look like
            except KeyError as exc:
                raise RecordFailed("registrations.decisions", 3, 17) from exc
        handle.healthy()
        await release.wait()

    supervisor = Supervisor(**FAST)
    supervisor.add("unit-follower", follower)
    [check] = supervisor.checks().values()
    before = restarts("unit-follower")
    with caplog.at_level(logging.ERROR, logger="services.common.supervisor"):
        supervisor.start()
        await eventually(lambda: attempts == 3)
        await eventually(lambda: supervisor.handles["unit-follower"].ready)
    assert await check()
    assert restarts("unit-follower") - before == 2
    failures = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(failures) == 2
    assert {(r.topic, r.partition, r.offset) for r in failures} == {("registrations.decisions", 3, 17)}  # type: ignore[attr-defined]
    assert "KeyError at tests/unit/test_supervisor.py" in failures[0].error  # type: ignore[attr-defined]
    assert all("griet" not in r.getMessage() + str(r.__dict__) for r in failures)
    assert REGISTRY.get_sample_value("buurt_task_up", {"task": "unit-follower"}) == 1
    await supervisor.stop()
    assert REGISTRY.get_sample_value("buurt_task_up", {"task": "unit-follower"}) == 0
    assert supervisor.report()["unit-follower"]["state"] == "stopped"


async def test_a_task_stays_not_ready_while_it_crash_loops() -> None:
    async def broken(_: TaskHandle) -> None:
        raise ConnectionError("broker unreachable")

    supervisor = Supervisor(**FAST)
    supervisor.add("unit-broken", broken)
    [check] = supervisor.checks().values()
    supervisor.start()
    try:
        await eventually(lambda: supervisor.handles["unit-broken"].restarts >= 5)
        assert not await check()
        report = supervisor.report()["unit-broken"]
        assert report["healthy"] is False
        assert report["last_error"].startswith("ConnectionError at ")
    finally:
        await supervisor.stop()


async def test_a_task_that_returns_or_is_cancelled_by_a_library_is_restarted() -> None:
    calls: list[str] = []

    async def flaky(handle: TaskHandle) -> None:
        calls.append("run")
        if len(calls) == 1:
            return  # a loop that should never end
        if len(calls) == 2:
            raise asyncio.CancelledError  # a client library cancelling futures under the task
        handle.healthy()
        await asyncio.Event().wait()

    supervisor = Supervisor(**FAST)
    supervisor.add("unit-flaky", flaky)
    supervisor.start()
    try:
        await eventually(lambda: supervisor.handles["unit-flaky"].ready)
        assert len(calls) == 3
        assert supervisor.report()["unit-flaky"]["restarts"] == 2
    finally:
        await supervisor.stop()


async def test_stop_cancels_tasks_during_their_backoff_too() -> None:
    async def broken(_: TaskHandle) -> None:
        raise RuntimeError

    supervisor = Supervisor(initial_backoff_s=30, max_backoff_s=30)
    supervisor.add("unit-sleeper", broken)
    supervisor.start()
    await eventually(lambda: supervisor.handles["unit-sleeper"].restarts == 1)
    await asyncio.wait_for(supervisor.stop(), 5)


async def test_stop_leaves_behind_a_task_that_ignores_its_cancellation_and_says_where_it_waits(
        caplog: pytest.LogCaptureFixture) -> None:
    stopped = asyncio.Event()

    async def stubborn(handle: TaskHandle) -> None:
        handle.healthy()
        while True:
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                if stopped.is_set():
                    raise
                asyncio.current_task().uncancel()  # type: ignore[union-attr]

    supervisor = Supervisor(**FAST)
    supervisor.add("unit-stubborn", stubborn)
    supervisor.start()
    try:
        await eventually(lambda: supervisor.handles["unit-stubborn"].ready)
        with caplog.at_level(logging.ERROR, logger="services.common.supervisor"):
            await asyncio.wait_for(supervisor.stop(timeout_s=0.2), 5)
        [record] = [r for r in caplog.records if "did not stop" in r.getMessage()]
        assert record.task == "supervised:unit-stubborn"  # type: ignore[attr-defined]
        assert re.fullmatch(r"locks\.py:\d+ in wait via tests/unit/test_supervisor\.py:\d+ in stubborn",
                            record.waiting_at)  # type: ignore[attr-defined]
        assert supervisor.handles["unit-stubborn"].state == "stopped"
    finally:
        stopped.set()
        for task in supervisor._tasks:
            task.cancel()
        await asyncio.wait_for(asyncio.gather(*supervisor._tasks, return_exceptions=True), 5)
