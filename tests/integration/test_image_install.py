"""The image's install step, as the Dockerfile runs it, without Docker: the files its COPY lines bring, then
``pip install -c constraints.txt .`` in a clean Python 3.11 venv (not editable: what the image gets). The installed
services must then find every file they read at run time (scripts, templates, data), import, and their command-line
entry points answer --help, from a directory without the source tree."""

import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECK = """
import services
assert "site-packages" in services.__path__[0], services.__path__
from services.search import index            # reads its Lua scripts at import
from services.common import categories, places
from services.common.partners import SEEDED_PARTNERS, load_specs
assert load_specs(SEEDED_PARTNERS)
assert categories.CATEGORIES
import services.consent.main, services.insights.main, services.registration.main, services.search.main
import sys
from pathlib import Path
installed = Path(services.__path__[0]).parent
missing = [name for name in sys.argv[1:] if not (installed / name).is_file()]
assert not missing, missing
print("ok")
"""


def copied(destination: Path) -> None:
    """What the Dockerfile's COPY lines bring into the image's working directory."""
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if not line.startswith("COPY "):
            continue
        *sources, target = line.split()[1:]
        for source in sources:
            origin = ROOT / source
            place = destination / target / origin.name if target.endswith("/") else destination / target
            if origin.is_dir():
                shutil.copytree(origin, place, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                place.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(origin, place)


def test_the_image_install_step_gives_working_services(tmp_path: Path) -> None:
    context, environment = tmp_path / "app", tmp_path / "venv"
    copied(context)
    assert (context / "services").is_dir()
    venv.create(environment, with_pip=True)
    python = environment / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", "-c", "constraints.txt", "."],
                   cwd=context, check=True, timeout=900)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    data = [path for path in subprocess.run(["git", "ls-files", "services"], cwd=ROOT, capture_output=True, text=True,
                                            check=True).stdout.split() if not path.endswith(".py")]
    assert data  # the scripts, templates and data the services read
    checked = subprocess.run([python, "-c", CHECK, *data], cwd=elsewhere, capture_output=True, text=True, timeout=120)
    assert checked.returncode == 0, checked.stderr[-2000:]
    for command in ("buurt-registration", "buurt-search", "buurt-audit", "buurt-infra", "buurt-kbo"):  # the CLIs
        helped = subprocess.run([environment / "bin" / command, "--help"], cwd=elsewhere, capture_output=True,
                                text=True, timeout=120)
        assert helped.returncode == 0, (command, helped.stderr[-2000:])
    assert sys.version_info[:2] == (3, 11)
