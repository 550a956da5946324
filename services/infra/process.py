"""Small helpers to run a daemon in the background with a pid file and a log file."""

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from tenacity import Retrying, retry_if_result, stop_after_delay, wait_fixed


def read_pid(pid_file: Path) -> int | None:
    """The pid in pid_file if that process still runs, else None (a killed child of ours, not yet reaped, is a
    zombie that signal 0 still reaches: it is reaped here)."""
    try:
        pid = int(pid_file.read_text().strip())
        os.kill(pid, 0)
    except (FileNotFoundError, ValueError, ProcessLookupError):
        return None
    except PermissionError:
        return pid
    return None if _reaped(pid) else pid


def _reaped(pid: int) -> bool:
    try:
        ended, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:  # not our child: its parent reaps it
        return False
    return ended == pid


def spawn(argv: list[str], log_file: Path, pid_file: Path, env: dict[str, str] | None = None) -> int:
    """Start argv detached in its own session, output appended to log_file; returns the pid."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as log:
        proc = subprocess.Popen(  # noqa: S603 - argv is built by the project, never from user input
            argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, env={**os.environ, **(env or {})},
        )
    pid_file.write_text(str(proc.pid))
    return proc.pid


def stop(pid_file: Path, timeout: float = 20.0) -> bool:
    """SIGTERM the process of pid_file, SIGKILL after timeout; True if something was stopped."""
    pid = read_pid(pid_file)
    if pid is None:
        pid_file.unlink(missing_ok=True)
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.1)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
    pid_file.unlink(missing_ok=True)
    return True


def kill(pid_file: Path, timeout: float = 10.0) -> bool:
    """SIGKILL the process of pid_file (a crash, for the fault suite) and wait until it is gone."""
    pid = read_pid(pid_file)
    if pid is None:
        return False
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.05)
    pid_file.unlink(missing_ok=True)
    return True


def _alive(pid: int) -> bool:
    try:
        waited, _ = os.waitpid(pid, os.WNOHANG)
        if waited == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mib(pid: int) -> float:
    """Resident memory of a process and its children (uvicorn workers), in MiB."""
    proc = Path(f"/proc/{pid}")
    kib = next(int(line.split()[1]) for line in (proc / "status").read_text().splitlines()
               if line.startswith("VmRSS:"))
    children = (proc / "task" / str(pid) / "children").read_text().split()
    return round(kib / 1024 + sum(rss_mib(int(child)) for child in children), 1)


def until(check: Callable[[], bool], timeout: float, interval: float = 0.5) -> bool:
    """Poll a check until it holds or the timeout passes; whether it held. An exception of the check ends the wait
    at once (a process that died is not going to become ready)."""
    polling = Retrying(stop=stop_after_delay(timeout), wait=wait_fixed(interval),
                       retry=retry_if_result(lambda ok: not ok), retry_error_callback=lambda _: False)
    return bool(polling(check))
