"""A throw-away PostgreSQL 15 server from Debian on loopback: the baseline of make bench (with PostGIS 3) and of the
search relevance test (full text: unaccent, pg_trgm). Installed with apt-get when missing and we are root; tuned
for reads of data thrown away afterwards (no fsync)."""

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from services.infra import apt, process

BIN = Path("/usr/lib/postgresql/15/bin")
SHARE = Path("/usr/share/postgresql/15/extension")
POSTGIS_CONTROL = SHARE / "postgis.control"
PACKAGES = ["postgresql-15"]
POSTGIS_PACKAGES = ["postgresql-15", "postgresql-15-postgis-3"]
USER = "bench"


@contextmanager
def server(postgis: bool = False) -> Iterator[int]:
    """A server (user ``bench``, trusted, database ``postgres``); yields its port."""
    if not (BIN / "initdb").exists() or (postgis and not POSTGIS_CONTROL.exists()):
        apt.install(POSTGIS_PACKAGES if postgis else PACKAGES, reason="PostgreSQL 15 not found")
    home = Path(tempfile.mkdtemp(prefix="buurt-postgres-"))
    data, port = home / "data", process.free_port()
    as_owner = _as_owner(home)
    _run([*as_owner, str(BIN / "initdb"), "-D", str(data), "-U", USER, "-A", "trust", "--no-sync"])
    options = (f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
               "-c full_page_writes=off -c shared_buffers=1GB -c max_connections=200 -c jit=off")
    _run([*as_owner, str(BIN / "pg_ctl"), "-D", str(data), "-l", str(home / "server.log"), "-o", options, "-w",
          "start"])
    try:
        yield port
    finally:
        subprocess.run([*as_owner, str(BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"],  # noqa: S603
                       check=False, capture_output=True)
        shutil.rmtree(home, ignore_errors=True)


def dsn(port: int) -> str:
    return f"host=127.0.0.1 port={port} user={USER} dbname=postgres"


def _run(argv: list[str]) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:5])} …: {done.stderr.strip()}")


def _as_owner(home: Path) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as the `postgres` user the Debian package creates."""
    if os.geteuid() != 0:
        return []
    shutil.chown(home, "postgres", "postgres")
    return ["runuser", "-u", "postgres", "--"]
