"""A file of an npm package (a published schema the tests validate against), fetched once with ``npm pack`` into
the cache directory; ``npm`` comes with Node.js (Debian's ``npm``, installed when missing and we are root)."""

import subprocess
import tarfile
from pathlib import Path

from services.infra import apt, paths


def package_file(package: str, version: str, inside: str) -> Path:
    """``inside`` (a path within the package, e.g. ``schemas/3.0.0.json``) of ``package@version``."""
    home = paths.cache_dir() / "npm" / f"{package.replace('/', '__')}-{version}"
    wanted = home / "package" / inside
    if wanted.exists():
        return wanted
    home.mkdir(parents=True, exist_ok=True)
    npm = apt.ensure("npm", ["npm"])
    packing = [npm, "pack", f"{package}@{version}", "--pack-destination", str(home)]
    packed = subprocess.run(packing, check=True, capture_output=True, text=True,  # noqa: S603 - our own arguments
                            timeout=300).stdout.strip().splitlines()[-1]
    with tarfile.open(home / packed) as archive:
        archive.extractall(home, filter="data")
    return wanted
