"""The partner SDK installs on its own: ``pip install sdk/python`` (not editable: what a partner gets, as a wheel) in
a clean venv, without the platform. It imports, does not reach for the platform's code, and its command answers."""

import shutil
import subprocess
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECK = """
import importlib.util, sys
import buurt_partner
from buurt_partner import cli, client, report, retrying, sheets, signing
assert "site-packages" in buurt_partner.__file__, buurt_partner.__file__
assert importlib.util.find_spec("services") is None  # the platform is not installed here
assert not [name for name in sys.modules if name.split(".")[0] in ("services", "fastapi", "aiokafka")]
print("ok")
"""


def test_the_sdk_installs_and_runs_without_the_platform(tmp_path: Path) -> None:
    environment, elsewhere = tmp_path / "venv", tmp_path / "elsewhere"
    elsewhere.mkdir()
    venv.create(environment, with_pip=True)
    python = environment / "bin" / "python"
    source, wheels = tmp_path / "sdk", tmp_path / "wheels"  # a copy: building writes into the source tree
    shutil.copytree(ROOT / "sdk" / "python", source, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    subprocess.run([python, "-m", "pip", "wheel", "-q", "--no-deps", "--disable-pip-version-check", "-w", wheels,
                    source], check=True, timeout=600)
    [wheel] = wheels.glob("buurt_partner-*.whl")
    subprocess.run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", "-c", ROOT / "constraints.txt",
                    wheel], check=True, timeout=600)
    checked = subprocess.run([python, "-c", CHECK], cwd=elsewhere, capture_output=True, text=True, timeout=120)
    assert checked.stdout.strip() == "ok", checked.stderr[-2000:]
    helped = subprocess.run([environment / "bin" / "buurt-partner", "send", "--help"], cwd=elsewhere,
                            capture_output=True, text=True, timeout=120,
                            env={"PATH": "/usr/bin:/bin"})  # no credentials needed for help
    assert helped.returncode == 0, helped.stderr[-2000:]
    assert "--report" in helped.stdout
    refused = subprocess.run([environment / "bin" / "buurt-partner", "status", "x"], cwd=elsewhere,
                             capture_output=True, text=True, timeout=120, env={"PATH": "/usr/bin:/bin"})
    assert refused.returncode == 2
    assert "BUURT_API_KEY" in refused.stderr
    sheet = elsewhere / "leden.csv"
    sheet.write_text("enterprise_number;name\r\n")
    keys = {"PATH": "/usr/bin:/bin", "BUURT_API_KEY": "k", "BUURT_SIGNING_SECRET": "s"}
    nameless = subprocess.run([environment / "bin" / "buurt-partner", "send", sheet], cwd=elsewhere,
                              capture_output=True, text=True, timeout=120, env=keys)
    assert nameless.returncode == 2
    assert "BUURT_PARTNER_ID" in nameless.stderr
