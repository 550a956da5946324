"""Installing Debian packages the local runtime needs (redis-server; chromium for the browser test), when missing."""

import os
import shutil
import subprocess

from services.infra.kafka import InfraError


def ensure(binary: str, packages: list[str], recommends: bool = True) -> str:
    """The path of ``binary``, installing ``packages`` with apt-get first when it is missing and we are root."""
    found = shutil.which(binary)
    if found:
        return found
    install(packages, reason=f"{binary} not found", recommends=recommends)
    found = shutil.which(binary)
    if found is None:
        raise InfraError(f"apt-get installed {' '.join(packages)} but {binary} is not on PATH")
    return found


def install(packages: list[str], reason: str, recommends: bool = True) -> None:
    if os.geteuid() != 0:
        raise InfraError(f"{reason}: install it with `sudo apt-get install {' '.join(packages)}`")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)  # noqa: S607
    subprocess.run(["apt-get", "install", "-y", "-qq", *([] if recommends else ["--no-install-recommends"]),  # noqa: S603,S607
                    *packages], check=True, env=env)
